import { describe, expect, it } from "vitest";
import { push, sparse } from "../../src/predict/features/hashing.js";
import { OnlineRegression } from "../../src/predict/learn/online-regression.js";
import { Ewm, IntHistogram, Welford } from "../../src/predict/learn/running-stats.js";
import { conditionalRemaining } from "../../src/predict/learn/signature-stats.js";
import { ToolLatencyModel } from "../../src/predict/learn/tool-latency.js";
import { mulberry32 } from "../../src/util/prng.js";

const rng = mulberry32;

describe("Welford / Ewm / IntHistogram", () => {
  it("Welford matches the batch mean and sample variance", () => {
    const w = new Welford();
    for (const x of [2, 4, 4, 4, 5, 5, 7, 9]) w.add(x);
    expect(w.mean).toBeCloseTo(5);
    expect(w.variance(0)).toBeCloseTo(32 / 7);
    expect(Welford.from(w.toJSON())).toEqual(w);
  });

  it("Ewm averages plainly at first, then tracks a level shift", () => {
    const e = new Ewm();
    e.add(10, 0.1);
    e.add(20, 0.1);
    expect(e.mean).toBeCloseTo(15);
    for (let i = 0; i < 200; i++) e.add(100, 0.1);
    expect(e.mean).toBeCloseTo(100, 3);
  });

  it("IntHistogram clamps into its end bins", () => {
    const h = new IntHistogram(-2, 2);
    h.add(-10);
    h.add(0.4);
    h.add(99);
    expect(h.counts).toEqual([1, 0, 1, 0, 1]);
    expect(h.total).toBe(3);
  });
});

describe("OnlineRegression", () => {
  it("poisson: converges on a synthetic log-linear relation", () => {
    const random = rng(1);
    const model = new OnlineRegression("poisson", 256, 0.3, 0);
    const vector = (x: number) => {
      const v = sparse();
      push(v, 0, 1);
      push(v, 1, x);
      return v;
    };
    for (let i = 0; i < 5000; i++) {
      const x = random() * 2;
      model.update(vector(x), Math.exp(0.5 + 0.8 * x)); // noise-free mean: the fit must recover it
    }
    expect(model.predict(vector(0))).toBeCloseTo(Math.exp(0.5), 1);
    expect(model.predict(vector(1.5))).toBeCloseTo(Math.exp(0.5 + 1.2), 0);
  });

  it("squared: converges on a noisy linear relation with sparse word features", () => {
    const random = rng(2);
    const model = new OnlineRegression("squared", 1024, 0.3, 0);
    for (let i = 0; i < 4000; i++) {
      const word = Math.floor(random() * 10);
      const v = sparse();
      push(v, 0, 1);
      push(v, 100 + word, 1);
      model.update(v, word + (random() - 0.5));
    }
    for (const word of [0, 5, 9]) {
      const v = sparse();
      push(v, 0, 1);
      push(v, 100 + word, 1);
      expect(Math.abs(model.predict(v) - word)).toBeLessThan(0.3);
    }
  });

  it("ignores non-finite targets and round-trips through JSON", () => {
    const model = new OnlineRegression("squared", 64, 0.3, 0);
    const v = sparse();
    push(v, 3, 1);
    model.update(v, Number.NaN);
    expect(model.updates).toBe(0);
    model.update(v, 2);
    const copy = OnlineRegression.from(model.toJSON(), 0.3, 0);
    expect(copy.predict(v)).toBe(model.predict(v));
  });
});

describe("conditionalRemaining()", () => {
  it("is E[R - k | R >= k] under the empirical residuals, not the mean minus k", () => {
    // Totals uniform on 1..6 around a predicted mean of 3.5 (residuals -2.5..2.5 -> rounded bins).
    const residuals = new IntHistogram(-16, 16);
    for (let i = 0; i < 1000; i++) for (const r of [1, 2, 3, 4, 5, 6]) residuals.add(r - 4);
    const remaining = (k: number) => conditionalRemaining(4, k, residuals, residuals, 64);
    expect(remaining(0)).toBeCloseTo(3.5, 1);
    expect(remaining(3)).toBeCloseTo(1.5, 1); // (0 + 1 + 2 + 3) / 4, where "mean - k" would say 0.5
    expect(remaining(5)).toBeCloseTo(0.5, 1);
    expect(remaining(6)).toBeCloseTo(0, 1);
  });

  it("falls back to a Poisson around the prediction without history, and predicts one more past the support", () => {
    const empty = new IntHistogram(-16, 16);
    expect(conditionalRemaining(3, 0, undefined, empty, 64)).toBeCloseTo(3, 3);
    expect(conditionalRemaining(0, 0, undefined, empty, 64)).toBeCloseTo(0, 3);
    expect(conditionalRemaining(3, 100, undefined, empty, 64)).toBe(1);
  });
});

describe("ToolLatencyModel", () => {
  it("tracks each tool and takes the max-ish of parallel calls", () => {
    const model = new ToolLatencyModel(0.1, 1000, 100);
    expect(model.phaseLatency(["search"], 1)).toBe(1000);
    for (let i = 0; i < 100; i++) model.learn("search", i % 2 === 0 ? 400 : 600);
    const near500 = (x: number) => x > 450 && x < 560;
    expect(near500(model.estimate("search").meanMs)).toBe(true);
    expect(near500(model.phaseLatency(["search"], 1))).toBe(true);
    expect(model.phaseLatency(["search"], 4)).toBeGreaterThan(600);
    expect(near500(model.estimate("never-seen").meanMs)).toBe(true);
  });

  it("ignores negative and non-finite samples", () => {
    const model = new ToolLatencyModel(0.1, 1000, 100);
    model.learn("x", -5);
    model.learn("x", Number.POSITIVE_INFINITY);
    expect(model.estimate("x").calls).toBe(0);
  });
});
