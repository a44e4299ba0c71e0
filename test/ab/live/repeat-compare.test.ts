/**
 * The A/B's direction over `--repeat K`: paired per repeat, mean ratio and difference with a 95% t interval.
 * Pure functions, checked against hand-computed values.
 */
import { describe, expect, it } from "vitest";
import {
  compareRepeats,
  direction,
  meanInterval,
  renderComparisons,
  tQuantile975,
} from "../../../src/ab/live/repeat-compare.js";
import type { BenchResultRow } from "../../../src/ab/results.js";

function row(policy: string, goodput: number, ttftMean: number | null): BenchResultRow {
  return {
    policy,
    ratePerS: 2,
    runs: 10,
    goodput,
    completedPerS: goodput,
    sloAttainment: goodput / 2,
    ttftMs: { mean: ttftMean, p50: ttftMean, p90: ttftMean, p99: ttftMean },
    e2eMs: { p50: 1, p99: 1, max: 1 },
    unfinished: 0,
    normLatencyMs: { p50: 1, p99: 1 },
    queueWaitMs: { p99: 0 },
    server: { busyFraction: null, meanBatchSize: null, kvUsageMean: null, preemptions: null },
  };
}

describe("tQuantile975()", () => {
  it("gives Student's 97.5% quantiles, and tends to 1.96", () => {
    expect(tQuantile975(1)).toBeCloseTo(12.706, 3);
    expect(tQuantile975(4)).toBeCloseTo(2.776, 3);
    expect(tQuantile975(30)).toBeCloseTo(2.042, 3);
    expect(tQuantile975(60)).toBeCloseTo(2.0, 2);
    expect(tQuantile975(1000)).toBeCloseTo(1.962, 2);
    expect(() => tQuantile975(0)).toThrow(RangeError);
  });
});

describe("meanInterval()", () => {
  it("is the mean +- t(n-1) x sd / sqrt(n), over the finite values", () => {
    // 1, 2, 3, 4, 5: mean 3, sd sqrt(2.5), half-width 2.776 x sqrt(2.5) / sqrt(5) = 1.963.
    const i = meanInterval([1, 2, 3, null, 4, Number.POSITIVE_INFINITY, 5]);
    expect(i.n).toBe(5);
    expect(i.mean).toBe(3);
    expect(i.low).toBeCloseTo(3 - 1.963, 3);
    expect(i.high).toBeCloseTo(3 + 1.963, 3);
    expect(meanInterval([2])).toEqual({ mean: 2, low: null, high: null, n: 1 });
    expect(meanInterval([])).toEqual({ mean: null, low: null, high: null, n: 0 });
    expect(meanInterval([1.5, 1.5, 1.5])).toMatchObject({ mean: 1.5, low: 1.5, high: 1.5 });
  });
});

describe("compareRepeats()", () => {
  const plain = [row("plain", 1, 100), row("plain", 2, 200), row("plain", 0, 400)];
  const augserve = [row("augserve", 1.5, 50), row("augserve", 3, 100), row("augserve", 0.5, null)];

  it("pairs repeats by index: ratios skip a zero baseline, differences keep it, nulls drop the pair", () => {
    const out = compareRepeats(
      2,
      new Map([
        ["plain", plain],
        ["augserve", augserve],
      ]),
    );
    expect(out.map((c) => c.metric)).toEqual(["goodput", "ttftMs.mean"]);
    const [goodput, ttft] = out;
    expect(goodput?.repeats).toEqual([
      { baseline: 1, policy: 1.5 },
      { baseline: 2, policy: 3 },
      { baseline: 0, policy: 0.5 },
    ]);
    expect(goodput?.ratio).toEqual({ mean: 1.5, low: 1.5, high: 1.5, n: 2 });
    expect(goodput?.difference.n).toBe(3);
    expect(goodput?.difference.mean).toBeCloseTo((0.5 + 1 + 0.5) / 3, 12);
    // The direction reads the difference (all three repeats): 0.5, 1, 0.5 -> [-0.05, 1.38] includes 0.
    expect(goodput?.difference.low).toBeCloseTo(2 / 3 - (4.303 * Math.sqrt(1 / 12)) / Math.sqrt(3), 3);
    expect(goodput && direction(goodput)).toMatch(/^no difference beyond the noise/);
    expect(ttft?.ratio).toEqual({ mean: 0.5, low: 0.5, high: 0.5, n: 2 });
    expect(ttft?.difference.n).toBe(2);
  });

  it("says higher or lower when the difference's interval excludes 0", () => {
    const plainRows = [row("plain", 1, 100), row("plain", 2, 200), row("plain", 1.5, 150)];
    const better = [row("augserve", 1.5, 50), row("augserve", 2.6, 140), row("augserve", 2, 100)];
    const [goodput, ttft] = compareRepeats(
      2,
      new Map([
        ["plain", plainRows],
        ["augserve", better],
      ]),
    );
    expect(goodput && direction(goodput)).toBe("augserve higher, beyond the noise");
    expect(ttft && direction(ttft)).toBe("augserve lower, beyond the noise");
  });

  it("says when the interval includes 1, and needs two repeats and the baseline", () => {
    const a = [row("plain", 1, 100), row("plain", 1, 100)];
    const b = [row("augserve", 1.2, 100), row("augserve", 0.9, 100)];
    const [goodput] = compareRepeats(
      1,
      new Map([
        ["plain", a],
        ["augserve", b],
      ]),
    );
    expect(goodput?.ratio.low).toBeLessThan(1);
    expect(goodput?.ratio.high).toBeGreaterThan(1);
    expect(goodput && direction(goodput)).toMatch(/no difference beyond the noise/);
    expect(
      compareRepeats(
        1,
        new Map([
          ["plain", [a[0] as BenchResultRow]],
          ["augserve", [b[0] as BenchResultRow]],
        ]),
      ),
    ).toEqual([]);
    expect(compareRepeats(1, new Map([["augserve", b]]))).toEqual([]);
    expect(() =>
      compareRepeats(
        1,
        new Map([
          ["plain", a],
          ["augserve", [b[0] as BenchResultRow]],
        ]),
      ),
    ).toThrow(RangeError);
  });

  it("renders one line per (rate, policy, metric) for the CLI, and nothing without comparisons", () => {
    const text = renderComparisons(
      compareRepeats(
        2,
        new Map([
          ["plain", plain],
          ["augserve", augserve],
        ]),
      ),
    );
    expect(text).toContain("2/s goodput: augserve/plain 1.50x [1.50 to 1.50]");
    expect(text).toContain("per repeat augserve/plain: 1.500/1.000, 3.000/2.000, 0.500/0.000");
    expect(text).toContain("2/s ttftMs.mean: augserve/plain 0.50x");
    expect(renderComparisons([])).toBe("");
  });
});
