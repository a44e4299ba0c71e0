/**
 * Overload in the virtual bench: shedding is selectable, refused runs are SLO misses in every metric and are
 * reported apart (refusal latency, attainment of the admitted runs), and the tables name their window.
 */
import { describe, expect, it } from "vitest";
import { resultRow } from "../../src/ab/results.js";
import { rateTable, renderReport } from "../../src/ab/table.js";
import { runVirtual } from "../../src/ab/virtual/index.js";
import { parseBenchFlags, runBench } from "../../src/cli/bench-command.js";
import { meetsSlo } from "../../src/metrics/index.js";
import { loadWorkload } from "../../src/workload/index.js";
import { ToyEngine } from "./toy-engine.js";

/** 150 runs arriving at 30/s onto a toy engine that serves 2 sequences at a time: a deep overload. */
function overloaded() {
  const w = loadWorkload("workloads/infercept-mix.json", { ratePerS: 30, seed: 5 });
  const runs = w.runs.slice(0, 150);
  return { ...w, runs, durationMs: runs.at(-1)!.arrivalMs + 1 };
}

describe("runVirtual() - overload: shed", () => {
  const workload = overloaded();
  const shed = runVirtual({
    workload,
    policy: "augserve",
    createEngine: () => new ToyEngine(2),
    schedulerOptions: { overload: "shed", budget: { mode: "fixed", tokens: 4_000 } },
  });

  it("refuses runs at their arrival and counts them as misses, apart from errors and unfinished runs", () => {
    const refused = shed.records.filter((r) => r.refused);
    expect(refused.length).toBeGreaterThan(10);
    for (const r of refused) {
      expect(r.endMs).toBe(r.arrivalMs);
      expect(r.firstTokenMs).toBeNull();
      expect(r.error).toMatch(/overloaded/);
      expect(meetsSlo(r, workload.slo)).toBe(false);
    }
    const s = shed.summary;
    expect(s.refused.runs).toBe(refused.length);
    expect(s.errors).toBe(0);
    expect(s.unfinished).toBe(0);
    expect(s.refused.latencyMs).toEqual({ p50: 0, p99: 0, max: 0 });
    const good = shed.records.filter((r) => meetsSlo(r, workload.slo)).length;
    expect(s.sloAttainment).toBeCloseTo(good / s.runs, 10);
    expect(s.refused.admittedAttainment).toBeCloseTo(good / (s.runs - refused.length), 10);
    expect(s.goodput).toBeCloseTo(good / (workload.durationMs / 1000), 10);
  });

  it("the report row carries the refusals and the window; the table adds the shed columns", () => {
    const row = resultRow("augserve", 30, shed.summary, [], workload.durationMs);
    expect(row.windowS).toBe(workload.durationMs / 1000);
    expect(row.refused?.runs).toBe(shed.summary.refused.runs);
    const table = rateTable([row]);
    expect(table).toMatch(/refused\s+refuse p99\s+adm SLO %/);
    expect(renderReport([row])).toContain(`rate 30/s, ${workload.durationMs / 1000}-s window, 150 runs`);
    const queued = runVirtual({ workload, policy: "augserve", createEngine: () => new ToyEngine(2) });
    expect(queued.summary.refused.runs).toBe(0);
    expect(rateTable([resultRow("augserve", 30, queued.summary)])).not.toContain("refused");
  });
});

describe("augserve bench - overload flags", () => {
  it("--overload and --duration are validated and reach the sweep", async () => {
    expect(() => parseBenchFlags({ workload: "w.json", overload: "drop" })).toThrow(/--overload/);
    expect(() => parseBenchFlags({ workload: "w.json", duration: "0" })).toThrow(/--duration/);
    const flags = parseBenchFlags({
      workload: "workloads/infercept-trace.json",
      policies: "plain,fcfs,augserve",
      rates: "2",
      duration: "4",
      overload: "shed",
      json: "-",
      quiet: true,
    });
    expect(flags).toMatchObject({ overload: "shed", duration: 4 });
    const report = JSON.parse(await runBench(flags)) as {
      results: Array<{ policy: string; windowS: number }>;
    };
    expect(report.results.map((r) => [r.policy, r.windowS])).toEqual([
      ["plain", 4],
      ["fcfs", 4],
      ["augserve", 4],
    ]);
  });
});
