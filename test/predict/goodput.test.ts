import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  compareGoodput,
  DEFAULT_HIGH_LOAD_RATE,
  HIGH_LOAD_RATES,
  highLoadRate,
  truncateWindow,
} from "../../src/bench/predict-bench/goodput.js";
import { loadWorkload } from "../../src/workload/index.js";

const mix = () => loadWorkload("workloads/infercept-mix.json", { ratePerS: 4 });

describe("truncateWindow()", () => {
  it("keeps the runs arriving inside the window and sets the window", () => {
    const full = mix();
    const cut = truncateWindow(full, 20_000);
    expect(cut.durationMs).toBe(20_000);
    expect(cut.runs.length).toBeGreaterThan(0);
    expect(cut.runs.length).toBeLessThan(full.runs.length);
    expect(cut.runs.every((r) => r.arrivalMs < 20_000)).toBe(true);
    expect(cut.runs).toEqual(full.runs.filter((r) => r.arrivalMs < 20_000));
  });

  it("returns the workload unchanged when the window is not shorter, and rejects a window <= 0", () => {
    const full = mix();
    expect(truncateWindow(full, full.durationMs)).toBe(full);
    expect(() => truncateWindow(full, 0)).toThrow(RangeError);
  });
});

describe("highLoadRate()", () => {
  // What it checks is a table lookup. Whether 48 runs/s is twice plain's sustainable rate is a measurement of
  // the virtual bench (docs/predictor.md, "high-load rate"), not something a unit test can assert.
  it("looks up the table (32 runs/s for infercept-mix) and falls back to the default for unknown workloads", () => {
    expect(highLoadRate("infercept-mix")).toBe(32);
    expect(highLoadRate("no-such-workload")).toBe(DEFAULT_HIGH_LOAD_RATE);
  });

  it("has an entry for every shipped workload, so that none falls back to the default unnoticed", () => {
    const names = readdirSync("workloads")
      .filter((f) => f.endsWith(".json"))
      .map((f) => loadWorkload(join("workloads", f), { ratePerS: 0.1 }).name);
    expect(names.length).toBeGreaterThanOrEqual(5);
    for (const name of names) expect(Object.keys(HIGH_LOAD_RATES)).toContain(name);
  });
});

describe("compareGoodput() - the real virtual-time bench on a small window", () => {
  it("reports goodput of the three runs and ratios to the oracle's", () => {
    const labels: string[] = [];
    const g = compareGoodput(truncateWindow(mix(), 10_000), { onPolicyDone: (l) => labels.push(l) });
    expect(labels).toHaveLength(3);
    expect(g.runs).toBeGreaterThan(0);
    for (const x of [g.predictor, g.baseline, g.oracle]) {
      expect(Number.isFinite(x)).toBe(true);
      expect(x).toBeGreaterThan(0);
    }
    expect(g.predictorVsOracle).toBeCloseTo(g.predictor / g.oracle);
    expect(g.baselineVsOracle).toBeCloseTo(g.baseline / g.oracle);
  });
});
