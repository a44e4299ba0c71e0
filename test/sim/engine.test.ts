import { describe, expect, it } from "vitest";
import { stepDurationMs } from "../../src/sim/engine/cost-model.js";
import { Engine } from "../../src/sim/engine/engine.js";
import { createRequestQueue } from "../../src/sim/engine/request-queue.js";
import {
  SimOptionsError,
  SimRequestError,
  UnknownProfileError,
  UnknownSchedulingPolicyError,
} from "../../src/sim/errors.js";
import type { StepOutcome } from "../../src/sim/types.js";

function tokens(n: number, seed = 1): number[] {
  return Array.from({ length: n }, (_, i) => (seed * 7919 + i * 104_729) % 128_000);
}

interface Trace {
  steps: StepOutcome[];
  firstAt: Map<string, number>;
  doneAt: Map<string, number>;
  tokens: Map<string, number>;
  now: number;
}

/** Runs the engine to idle in virtual time, recording when each request got its first and last token. */
function drain(engine: Engine, maxSteps = 1): Trace {
  const t: Trace = { steps: [], firstAt: new Map(), doneAt: new Map(), tokens: new Map(), now: 0 };
  for (let out = engine.step({ maxSteps }); out !== null; out = engine.step({ maxSteps })) {
    t.now += out.durationMs;
    t.steps.push({ ...out, emitted: out.emitted.map((e) => ({ ...e })), preempted: [...out.preempted] });
    for (const e of out.emitted) {
      t.tokens.set(e.id, (t.tokens.get(e.id) ?? 0) + e.tokens);
      if (e.first) t.firstAt.set(e.id, t.now);
      if (e.finished) t.doneAt.set(e.id, t.now);
    }
    engine.kvCache.checkInvariants();
  }
  return t;
}

describe("Engine - Initialization", () => {
  it("rejects unknown profiles, policies and bad options with named errors", () => {
    expect(() => new Engine({ profile: "gpt-9" })).toThrow(UnknownProfileError);
    expect(() => new Engine({ schedulingPolicy: "lifo" as "fcfs" })).toThrow(SimOptionsError);
    expect(() => createRequestQueue("lifo")).toThrow(UnknownSchedulingPolicyError);
    expect(() => new Engine({ maxNumSeqs: 0 })).toThrow(SimOptionsError);
    expect(() => new Engine({ kvCapacityTokens: 3 })).toThrow(SimOptionsError);
  });

  it("derives the default KV capacity of llama3-8b-h100 from NIM's block count", () => {
    expect(new Engine().options.kvCapacityTokens).toBeGreaterThan(440_000);
    expect(new Engine().options.kvCapacityTokens).toBeLessThan(450_000);
  });

  it(".add() rejects duplicates and requests longer than the model length", () => {
    const engine = new Engine({ kvCapacityTokens: 1024 });
    engine.add({ id: "a", promptTokens: tokens(10), maxTokens: 5 });
    expect(() => engine.add({ id: "a", promptTokens: tokens(10), maxTokens: 5 })).toThrow(SimRequestError);
    expect(() => engine.add({ id: "b", promptTokens: tokens(1000), maxTokens: 100 })).toThrow(/model length/);
  });
});

describe("Engine - Basic functionality", () => {
  it(".step() - a lone request takes one prefill step then n-1 decode steps, timed by the cost model", () => {
    const engine = new Engine();
    const cost = engine.options.cost;
    engine.add({ id: "a", promptTokens: tokens(500), maxTokens: 10 });
    const t = drain(engine);
    expect(t.steps).toHaveLength(10);
    expect(t.steps[0]?.prefillTokens).toBe(500);
    expect(t.steps[0]?.durationMs).toBeCloseTo(stepDurationMs(cost, 500, 0, 0, 500 * 250), 9);
    for (let i = 1; i < 10; i++) {
      expect(t.steps[i]?.decodeSequences).toBe(1);
      expect(t.steps[i]?.durationMs).toBeCloseTo(stepDurationMs(cost, 0, 1, 500 + i, 0), 9);
    }
    expect(t.tokens.get("a")).toBe(10);
    expect(engine.hasWork).toBe(false);
    expect(engine.step()).toBeNull();
    expect(engine.stats().kvCacheUsage).toBe(0);
  });

  it(".step() - chunks a long prompt within maxNumBatchedTokens", () => {
    const engine = new Engine({ maxNumBatchedTokens: 256 });
    engine.add({ id: "a", promptTokens: tokens(600), maxTokens: 2 });
    const t = drain(engine);
    expect(t.steps.map((s) => s.prefillTokens)).toEqual([256, 256, 88, 0]);
    expect(t.steps[2]?.emitted[0]?.first).toBe(true);
  });

  it(".step({ maxSteps }) - fused decode steps give the same tokens and total time as single steps", () => {
    const run = (maxSteps: number) => {
      const engine = new Engine();
      for (let i = 0; i < 20; i++)
        engine.add({ id: `r${i}`, promptTokens: tokens(100 + i, i), maxTokens: 50 + i * 7 });
      return drain(engine, maxSteps);
    };
    const single = run(1);
    const fused = run(1000);
    expect(fused.steps.length).toBeLessThan(single.steps.length / 4);
    expect(fused.now).toBeCloseTo(single.now, 6);
    expect([...fused.tokens]).toEqual([...single.tokens]);
    for (const [id, at] of single.doneAt) expect(fused.doneAt.get(id)).toBeCloseTo(at, 6);
  });

  it("throughput rises with batch size, then saturates", () => {
    const throughput = (batch: number) => {
      const engine = new Engine();
      for (let i = 0; i < batch; i++)
        engine.add({ id: `r${i}`, promptTokens: tokens(200, i), maxTokens: 128 });
      const t = drain(engine, 1000);
      return (batch * 128) / t.now;
    };
    const rates = [1, 8, 64, 256, 1024].map(throughput);
    for (let i = 1; i < rates.length; i++) expect(rates[i]).toBeGreaterThan(rates[i - 1] as number);
    expect((rates[1] as number) / (rates[0] as number)).toBeGreaterThan(6); // memory-bound: almost free
    expect((rates[4] as number) / (rates[3] as number)).toBeLessThan(2); // compute-bound: saturating
  });

  it("a small KV cache causes preemptions by recompute and every request still completes", () => {
    const engine = new Engine({ kvCapacityTokens: 2048, maxNumBatchedTokens: 512 });
    for (let i = 0; i < 16; i++) engine.add({ id: `r${i}`, promptTokens: tokens(200, i), maxTokens: 150 });
    const t = drain(engine);
    expect(engine.stats().preemptionsTotal).toBeGreaterThan(0);
    expect(t.steps.some((s) => s.preempted.length > 0)).toBe(true);
    for (let i = 0; i < 16; i++) expect(t.tokens.get(`r${i}`)).toBe(150);
    expect(engine.stats().finishedTotal).toBe(16);
    expect(engine.stats().kvCacheUsage).toBe(0);
  });

  it("a shared prefix is prefilled once and counted as prefix-cache hits", () => {
    const engine = new Engine();
    const shared = tokens(320);
    engine.add({ id: "a", promptTokens: [...shared, ...tokens(20, 2)], maxTokens: 4 });
    drain(engine);
    engine.add({ id: "b", promptTokens: [...shared, ...tokens(30, 3)], maxTokens: 4 });
    const t = drain(engine);
    expect(t.steps[0]?.prefillTokens).toBe(30);
    const s = engine.stats();
    expect(s.prefixCacheQueriesTotal).toBe(340 + 350);
    expect(s.prefixCacheHitsTotal).toBe(320);
  });

  it("a follow-up whose prompt contains the previous output hits the output's cached blocks", () => {
    const engine = new Engine();
    const prompt = tokens(64);
    const output = tokens(40, 9);
    engine.add({ id: "a", promptTokens: prompt, maxTokens: 40, outputTokens: output });
    drain(engine);
    engine.add({ id: "b", promptTokens: [...prompt, ...output, ...tokens(10, 5)], maxTokens: 2 });
    drain(engine);
    // 64 + 39 computed tokens of "a" hold 6 full blocks = 96 tokens.
    expect(engine.stats().prefixCacheHitsTotal).toBe(96);
  });

  it(".abort() frees a running request's blocks at once", () => {
    const engine = new Engine();
    engine.add({ id: "a", promptTokens: tokens(100), maxTokens: 100 });
    engine.step();
    expect(engine.stats().kvCacheUsage).toBeGreaterThan(0);
    expect(engine.abort("a")).toBe(true);
    expect(engine.abort("a")).toBe(false);
    expect(engine.stats()).toMatchObject({ running: 0, kvCacheUsage: 0, abortedTotal: 1 });
    expect(engine.hasWork).toBe(false);
  });
});

describe("Engine - priority policy", () => {
  it("serves lower priority values first, FCFS among equals", () => {
    const engine = new Engine({ schedulingPolicy: "priority", maxNumSeqs: 1 });
    engine.add({ id: "late-low", promptTokens: tokens(50, 1), maxTokens: 3, priority: 5 });
    engine.add({ id: "high-1", promptTokens: tokens(50, 2), maxTokens: 3, priority: -1 });
    engine.add({ id: "high-2", promptTokens: tokens(50, 3), maxTokens: 3, priority: -1 });
    const t = drain(engine);
    const order = [...t.doneAt].sort((a, b) => a[1] - b[1]).map(([id]) => id);
    expect(order).toEqual(["high-1", "high-2", "late-low"]);
  });

  it("preempts a lower-priority running request when a higher one waits and no blocks are free", () => {
    const engine = new Engine({ schedulingPolicy: "priority", kvCapacityTokens: 512 });
    engine.add({ id: "low", promptTokens: tokens(300, 1), maxTokens: 100, priority: 10 });
    engine.step();
    engine.add({ id: "high", promptTokens: tokens(300, 2), maxTokens: 20, priority: 0 });
    const t = drain(engine);
    expect(engine.stats().preemptionsTotal).toBeGreaterThan(0);
    expect(t.steps[0]?.preempted).toEqual(["low"]);
    expect(t.doneAt.get("high")).toBeLessThan(t.doneAt.get("low") as number);
    expect(t.tokens.get("low")).toBe(99);
  });
});
