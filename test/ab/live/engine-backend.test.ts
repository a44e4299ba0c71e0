/**
 * `--backend engine`: the workload scaled in time to the real engine's speed, the options that go with it, and
 * one live A/B point end to end against the real llama.cpp engine (node-llama-cpp, the generated tiny llama:
 * a few runs of the two short-tool classes).
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compressWorkloadTime } from "../../../src/ab/live/engine-backend.js";
import { LiveOptionsError, parseLiveOptions, runLiveSweep } from "../../../src/ab/live/index.js";
import { writeModelFile } from "../../../src/engine/make-model.js";
import { BenchResultsSchema } from "../../../src/report/index.js";
import { loadWorkload } from "../../../src/workload/load.js";

function shortToolWorkload(durationS: number): Record<string, unknown> {
  const file = JSON.parse(readFileSync("workloads/infercept-mix.json", "utf8"));
  file.classes = file.classes.filter((c: { name: string }) => c.name === "math" || c.name === "qa");
  file.durationS = durationS;
  return file;
}

describe("compressWorkloadTime()", () => {
  it("multiplies arrivals, the window and tool latencies, and keeps every token and call", () => {
    const w = loadWorkload(shortToolWorkload(30), { ratePerS: 1 });
    const c = compressWorkloadTime(w, 0.1);
    expect(c.durationMs).toBeCloseTo(w.durationMs * 0.1, 9);
    expect(c.runs.map((r) => r.arrivalMs)).toEqual(w.runs.map((r) => r.arrivalMs * 0.1));
    const calls = (x: typeof w) => x.runs.flatMap((r) => r.script.rounds.flatMap((round) => round.calls));
    expect(calls(c).map((k) => k.latencyMs)).toEqual(calls(w).map((k) => k.latencyMs * 0.1));
    expect(calls(c).map((k) => k.resultTokens)).toEqual(calls(w).map((k) => k.resultTokens));
    expect(c.runs.map((r) => r.script.finalOutputTokens)).toEqual(
      w.runs.map((r) => r.script.finalOutputTokens),
    );
    expect(compressWorkloadTime(w, 1)).toBe(w);
    expect(() => compressWorkloadTime(w, 0)).toThrow(RangeError);
    expect(() => compressWorkloadTime(w, 1.5)).toThrow(RangeError);
  });
});

describe("parseLiveOptions() - engine backend", () => {
  it("accepts the engine backend with its options, and refuses a time scale (the engine runs in wall time)", () => {
    const o = parseLiveOptions({ policy: "plain", backend: "engine", engineParallel: 2, timeFactor: 0.1 });
    expect(o).toMatchObject({ backend: "engine", engineParallel: 2, timeFactor: 0.1, timeScale: 1 });
    expect(() => parseLiveOptions({ policy: "plain", backend: "engine", timeScale: 4 })).toThrow(
      LiveOptionsError,
    );
    expect(() => parseLiveOptions({ policy: "plain", backend: "engine", engineParallel: 0 })).toThrow(
      LiveOptionsError,
    );
  });
});

describe("runLiveSweep() - end to end against the real engine", () => {
  it("plays every run for plain and augserve on llama.cpp; the JSON validates and every run finished", async () => {
    const dir = await mkdtemp(join(tmpdir(), "augserve-engine-ab-"));
    try {
      const model = join(dir, "tiny.gguf");
      await writeModelFile(model, { size: "tiny", seed: 0 });
      const report = await runLiveSweep({
        // Seed 9 over 30 s: 3 runs, 751 output tokens (the file's seed over 60 s: 4 runs, 1,657), the same paths.
        workload: shortToolWorkload(30),
        seed: 9,
        policies: ["plain", "augserve"],
        rates: [1],
        backend: "engine",
        engineModel: model,
        engineParallel: 2,
        timeFactor: 0.1,
      });
      const parsed = BenchResultsSchema.parse(report);
      expect(parsed.setup?.backend).toBe("engine");
      expect(report.live.timeScale).toBe(1);
      for (const row of parsed.results) {
        expect(row.runs).toBe(3);
        expect(row.unfinished).toBe(0);
        expect(row.ttftMs.p50).not.toBeNull();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // A guard against a hang only: the test waits for every run to end, however long the machine takes (17 s
    // at load average 20 on 2 cores; the former 4-run, 1,657-token workload took 80 to over 120 s there).
  }, 300_000);
});
