/**
 * The demo's statistics and SLO choice: the bootstrap interval of the goodput ratio, the reading it prints, and
 * the SLO taken from the workload unless a lone request cannot meet it on the profile.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DERIVED_SLO_SCALE, demoSlo } from "../../../src/ab/live/demo-slo.js";
import { demoReading, goodputRatioInterval, metRuns } from "../../../src/ab/live/demo-stats.js";
import { loadWorkload } from "../../../src/workload/load.js";

const arm = (runs: number, met: number) => ({ runs, sloAttainment: met / runs });

describe("goodputRatioInterval()", () => {
  it("gives the ratio of runs meeting the SLO and a percentile interval around it", () => {
    const i = goodputRatioInterval(arm(360, 80), arm(360, 280), { seed: 3 });
    expect(metRuns(arm(360, 80))).toBe(80);
    expect(i.ratio).toBeCloseTo(3.5, 10);
    expect(i.low).toBeGreaterThan(2.5);
    expect(i.low).toBeLessThan(i.ratio);
    expect(i.high).toBeGreaterThan(i.ratio);
    expect(i.high).toBeLessThan(5);
  });

  it("is deterministic for a seed, and wide when few runs decide it", () => {
    expect(goodputRatioInterval(arm(40, 4), arm(40, 8), { seed: 5 })).toEqual(
      goodputRatioInterval(arm(40, 4), arm(40, 8), { seed: 5 }),
    );
    const few = goodputRatioInterval(arm(40, 4), arm(40, 8));
    expect(few.low).toBeLessThan(1);
    expect(few.high).toBeGreaterThan(4);
  });

  it("handles an arm that met the SLO for no run, and rejects bad options", () => {
    expect(goodputRatioInterval(arm(50, 0), arm(50, 10)).ratio).toBe(Number.POSITIVE_INFINITY);
    expect(goodputRatioInterval(arm(50, 0), arm(50, 0)).ratio).toBe(1);
    expect(() => goodputRatioInterval(arm(5, 1), arm(5, 1), { resamples: 3 })).toThrow(RangeError);
    expect(() => goodputRatioInterval(arm(5, 1), arm(5, 1), { level: 1 })).toThrow(RangeError);
  });
});

describe("demoReading()", () => {
  it("says beyond the noise only when the interval excludes 1, and whether 2x was reached", () => {
    const base = { level: 0.95, resamples: 2000 };
    expect(demoReading({ ...base, ratio: 3.5, low: 2.6, high: 4.8 })).toMatch(
      /beyond the sampling noise, at least 2x/,
    );
    expect(demoReading({ ...base, ratio: 2.2, low: 1.4, high: 3.1 })).toMatch(
      /interval reaches down to 1.40x/,
    );
    expect(demoReading({ ...base, ratio: 1.5, low: 1.1, high: 2 })).toMatch(/short of the 2x target/);
    expect(demoReading({ ...base, ratio: 1.1, low: 0.8, high: 1.5 })).toMatch(
      /no difference beyond the noise/,
    );
    expect(demoReading({ ...base, ratio: 0.5, low: 0.3, high: 0.8 })).toMatch(/plain did better/);
  });

  it("calls a CPU-bound live ratio no evidence and points to virtual time; says 'none' for an empty arm", () => {
    const base = { level: 0.95, resamples: 2000 };
    const live = { ...base, ratio: Number.POSITIVE_INFINITY, low: 3, high: Number.POSITIVE_INFINITY };
    const virtual = { ...base, ratio: 3.65, low: 2.51, high: 5.78 };
    const bound = demoReading(live, { cpuBound: true, virtual });
    expect(bound).toMatch(/CPU-bound.*no evidence either way/);
    expect(bound).toContain("In virtual time the same runs give 3.65x (95% CI 2.51x-5.78x)");
    expect(demoReading(live, { met: { plain: 0, augserve: 7 } })).toMatch(
      /augserve met the SLO for 7 runs, plain for none/,
    );
  });
});

describe("demoSlo()", () => {
  const file = (slo: { ttftMs: number; normLatencyMsPerToken: number }) => ({
    ...shippedWorkload(),
    durationS: 20,
    slo,
  });

  it("keeps the workload's SLO when a lone request of the median run meets it on the profile", () => {
    const workload = loadWorkload(file({ ttftMs: 1000, normLatencyMsPerToken: 100 }));
    const chosen = demoSlo(workload, "llama3-8b-l4");
    expect(chosen.source).toBe("workload");
    expect(chosen.slo).toEqual({ ttftMs: 1000, normLatencyMsPerToken: 100 });
    // One L4 decode step of 8B is ~72 ms (docs/simulator.md); its prefill of a few hundred tokens well under 1 s.
    expect(chosen.lone.perTokenMs).toBeGreaterThan(60);
    expect(chosen.lone.perTokenMs).toBeLessThan(100);
    expect(chosen.explanation).toContain("the workload's");
  });

  it("derives a stated multiple of a lone request's latencies when the workload's SLO is out of reach", () => {
    const workload = loadWorkload(file({ ttftMs: 1000, normLatencyMsPerToken: 20 }));
    const chosen = demoSlo(workload, "llama3-8b-l4");
    expect(chosen.source).toBe("derived");
    expect(chosen.slo.normLatencyMsPerToken).toBe(
      Math.ceil(DERIVED_SLO_SCALE.perToken * chosen.lone.perTokenMs),
    );
    expect(chosen.slo.ttftMs).toBe(Math.ceil(DERIVED_SLO_SCALE.ttft * chosen.lone.ttftMs));
    expect(chosen.explanation).toMatch(/derived from the profile/);
  });
});

function shippedWorkload(): Record<string, unknown> {
  return JSON.parse(readFileSync("workloads/infercept-mix.json", "utf8")) as Record<string, unknown>;
}
