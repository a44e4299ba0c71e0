import { describe, expect, it } from "vitest";
import { BENCH_POLICIES, runSweep, runVirtual } from "../../src/ab/virtual/index.js";
import { Engine } from "../../src/sim/index.js";
import { loadWorkload } from "../../src/workload/index.js";
import type { GeneratedWorkload } from "../../src/workload/types.js";

/** The first `n` runs of a workload, with the window cut after the last arrival. */
function head(workload: GeneratedWorkload, n: number): GeneratedWorkload {
  const runs = workload.runs.slice(0, n);
  return { ...workload, runs, durationMs: (runs.at(-1)?.arrivalMs ?? 0) + 1 };
}

const mix = () => head(loadWorkload("workloads/infercept-mix.json", { ratePerS: 8 }), 80);

/**
 * These tests are synchronous CPU work (the virtual bench has no timers or I/O): a time-out cannot stop one,
 * only fail a busy machine after the fact (22-27 s each at load average 20 on 2 cores, against vitest's 30-s
 * default), so each gets a limit that no machine speed, only a broken test, reaches.
 */
const SYNCHRONOUS_MS = 600_000;

describe("runVirtual() - the simulator's engine and the real scheduler", () => {
  it(
    "gives identical results for identical seeds",
    () => {
      for (const policy of ["fcfs-window", "augserve"] as const) {
        const a = runVirtual({ workload: mix(), policy, window: 4 });
        const b = runVirtual({ workload: mix(), policy, window: 4 });
        expect(a.records).toEqual(b.records);
        expect(a.summary).toEqual(b.summary);
      }
    },
    SYNCHRONOUS_MS,
  );

  it(
    "finishes every run of every policy; each call is served after it was ready",
    () => {
      for (const policy of BENCH_POLICIES) {
        const result = runVirtual({ workload: mix(), policy, window: 4 });
        if (policy !== "plain" && policy !== "fcfs-window")
          expect(result.timeline.length, policy).toBeGreaterThan(0);
        expect(result.summary.unfinished, policy).toBe(0);
        expect(result.summary.errors, policy).toBe(0);
        expect(result.summary.e2eMs.max).not.toBeNull();
        for (const record of result.records)
          for (const call of record.calls) expect(call.firstTokenMs!).toBeGreaterThan(call.submitMs);
      }
    },
    SYNCHRONOUS_MS,
  );

  it(
    "follow-up calls and shared system prompts hit the prefix cache",
    () => {
      const engine = new Engine({ profile: "llama3-8b-h100" });
      runVirtual({ workload: mix(), policy: "plain", createEngine: () => engine });
      const stats = engine.stats();
      expect(stats.prefixCacheHitsTotal / stats.prefixCacheQueriesTotal).toBeGreaterThan(0.5);
    },
    SYNCHRONOUS_MS,
  );
});

describe("runSweep() - a small sweep, as CI runs it", () => {
  it(
    "runs the recorded InferCept trace at two rates",
    () => {
      const report = runSweep({
        workload: "workloads/infercept-trace.json",
        policies: ["plain", "augserve", "augserve-oracle"],
        rates: [0.2, 0.4],
      });
      expect(report.results).toHaveLength(6);
      for (const row of report.results) expect(row.unfinished).toBe(0);
    },
    SYNCHRONOUS_MS,
  );
});
