/** The budget controllers on synthetic sample traces (the Netflix concurrency-limits way of testing a limit). */
import { describe, expect, it } from "vitest";
import {
  AdaptiveBudget,
  type BudgetContext,
  FixedBudget,
  SchedulerOptionsError,
} from "../../src/scheduler/index.js";

const busy: BudgetContext = { inFlightTokens: 30_000, queuedCalls: 10 };
const idle: BudgetContext = { inFlightTokens: 0, queuedCalls: 0 };

function controller(options: ConstructorParameters<typeof AdaptiveBudget>[0] = {}): AdaptiveBudget {
  return new AdaptiveBudget({ initialTokens: 32_000, minTokens: 4_000, maxTokens: 64_000, ...options });
}

/** Feeds healthy client samples every `intervalMs` for `steps` decisions. */
function healthy(budget: AdaptiveBudget, start: number, steps: number, context = busy): number {
  let t = start;
  for (let i = 0; i < steps; i++) {
    t += 500;
    budget.onSample({ kind: "ttft", at: t, ms: 200 }, context);
    budget.onSample({ kind: "tokenLatency", at: t, msPerToken: 20 }, context);
  }
  return t;
}

describe("FixedBudget", () => {
  it(".onSample() - never moves", () => {
    const budget = new FixedBudget({ tokens: 1000 });
    expect(budget.onSample()).toBeNull();
    expect(budget.tokens).toBe(1000);
  });

  it("constructor - rejects invalid tokens naming the field", () => {
    expect(() => new FixedBudget({ tokens: 0 })).toThrow(SchedulerOptionsError);
    expect(() => new FixedBudget({ tokens: 0 })).toThrow(/`tokens`/);
  });
});

describe("AdaptiveBudget", () => {
  it("rises additively while the server is underused and the budget binds", () => {
    const budget = controller();
    healthy(budget, 0, 3);
    expect(budget.tokens).toBe(32_000 + 3 * 2_048);
  });

  it("does not rise while the client is idle (the budget does not bind)", () => {
    const budget = controller();
    healthy(budget, 0, 5, idle);
    expect(budget.tokens).toBe(32_000);
  });

  it("is clamped to maxTokens and minTokens", () => {
    const up = controller();
    healthy(up, 0, 100);
    expect(up.tokens).toBe(64_000);
    const down = controller({ cooldownMs: 0 });
    for (let t = 500; t < 50_000; t += 500) down.onSample({ kind: "error", at: t }, busy);
    expect(down.tokens).toBe(4_000);
  });

  it("cuts multiplicatively on a server queue, once per cooldown, and not again on stale evidence", () => {
    const budget = controller();
    budget.onSample({ kind: "server", at: 1000, signals: { waiting: 3, kvCacheUsage: 0.5 } }, busy);
    expect(budget.tokens).toBe(Math.round(32_000 * 0.7));
    // The same stale gauge, re-read within the cooldown and after it: no new evidence, no new cut.
    budget.onSample({ kind: "tick", at: 1600 }, busy);
    budget.onSample({ kind: "tick", at: 5000 }, busy);
    expect(budget.tokens).toBe(Math.round(32_000 * 0.7));
    // A fresh reading after the cooldown cuts again.
    budget.onSample({ kind: "server", at: 5600, signals: { waiting: 2, kvCacheUsage: 0.5 } }, busy);
    expect(budget.tokens).toBe(Math.round(Math.round(32_000 * 0.7) * 0.7));
  });

  it("cuts when KV use reaches the high-water mark, holds in the hysteresis band, rises below the low-water mark", () => {
    const budget = controller();
    budget.onSample({ kind: "server", at: 1000, signals: { waiting: 0, kvCacheUsage: 0.97 } }, busy);
    const cut = Math.round(32_000 * 0.7);
    expect(budget.tokens).toBe(cut);
    budget.onSample({ kind: "server", at: 4000, signals: { waiting: 0, kvCacheUsage: 0.9 } }, busy);
    expect(budget.tokens).toBe(cut);
    budget.onSample({ kind: "server", at: 4600, signals: { waiting: 0, kvCacheUsage: 0.5 } }, busy);
    expect(budget.tokens).toBe(cut + 2_048);
  });

  it("cuts when the preemption counter increases", () => {
    const budget = controller();
    budget.onSample({ kind: "server", at: 1000, signals: { preemptionsTotal: 7, kvCacheUsage: 0.5 } }, busy);
    const before = budget.tokens;
    budget.onSample({ kind: "server", at: 4000, signals: { preemptionsTotal: 9, kvCacheUsage: 0.5 } }, busy);
    expect(budget.tokens).toBe(Math.round(before * 0.7));
  });

  it("cuts in proportion to the latency gradient when per-token latency exceeds its target (floored at the MD factor)", () => {
    // The mean statistic keeps the figures exact (the median is read from ~4%-wide buckets).
    const budget = controller({ smoothing: 1, tokenGapStatistic: "mean" });
    budget.onSample({ kind: "tokenLatency", at: 1000, msPerToken: 62.5 }, busy);
    expect(budget.tokens).toBe(Math.round(32_000 * (50 / 62.5)));
    budget.onSample({ kind: "tokenLatency", at: 4000, msPerToken: 500 }, busy);
    expect(budget.tokens).toBe(Math.round(Math.round(32_000 * 0.8) * 0.7));
  });

  it("holds when latency is in the dead band above target (hysteresis)", () => {
    const budget = controller({ smoothing: 1 });
    budget.onSample({ kind: "tokenLatency", at: 1000, msPerToken: 55 }, busy);
    budget.onSample({ kind: "ttft", at: 2000, ms: 1150 }, busy);
    expect(budget.tokens).toBe(32_000);
  });

  it("cuts on client-measured TTFT over target even when server gauges look calm", () => {
    const budget = controller({ smoothing: 1 });
    budget.onSample({ kind: "server", at: 900, signals: { waiting: 0, kvCacheUsage: 0.1 } }, busy);
    expect(budget.tokens).toBe(32_000 + 2_048);
    budget.onSample({ kind: "ttft", at: 1500, ms: 3000 }, busy);
    expect(budget.tokens).toBe(Math.round((32_000 + 2_048) * 0.7));
  });

  it("decides at most once per intervalMs", () => {
    const budget = controller();
    budget.onSample({ kind: "ttft", at: 1000, ms: 100 }, busy);
    budget.onSample({ kind: "ttft", at: 1100, ms: 100 }, busy);
    budget.onSample({ kind: "ttft", at: 1200, ms: 100 }, busy);
    expect(budget.tokens).toBe(32_000 + 2_048);
  });

  it("derives its latency targets from the SLO unless given explicitly", () => {
    expect(controller().targets).toEqual({ tokenLatencyMs: 50, ttftMs: 1000 });
    const fromSlo = new AdaptiveBudget({}, { ttftMs: 800, normLatencyMsPerToken: 60 });
    expect(fromSlo.targets).toEqual({ tokenLatencyMs: 30, ttftMs: 400 });
    const explicit = new AdaptiveBudget(
      { targetTtftMs: 300, ttftSloFraction: 0.9 },
      { ttftMs: 800, normLatencyMsPerToken: 60 },
    );
    expect(explicit.targets).toEqual({ tokenLatencyMs: 30, ttftMs: 300 });
  });

  it("derives a target from the headroom above the no-load latency (slow hardware); explicit targets stay", () => {
    // An L4-like server: a lone request decodes at 70 ms/token, the SLO allows 140 (fraction x SLO = 70).
    const slo = { ttftMs: 2_000, normLatencyMsPerToken: 140 };
    // The first two intervals have one call in flight (a lone request), the rest a batch.
    const feed = (budget: AdaptiveBudget, msPerToken: (i: number) => number) => {
      for (let i = 1; i <= 40; i++) {
        const context = i <= 2 ? { ...busy, inFlightCalls: 1 } : { ...busy, inFlightCalls: 12 };
        budget.onSample({ kind: "tokenLatency", at: i * 500, msPerToken: msPerToken(i) }, context);
      }
    };
    const derived = new AdaptiveBudget({ initialTokens: 32_000, minTokens: 4_000, cooldownMs: 0 }, slo);
    // First alone (70 ms), then batched at 95 ms/token: under 70 + 0.5 x (140 - 70), so the budget rises.
    feed(derived, (i) => (i <= 2 ? 70 : 95));
    expect(derived.targets.tokenLatencyMs).toBe(105);
    expect(derived.tokens).toBeGreaterThan(32_000);
    // The same trace with the target fixed at 70 ms cuts to the floor: the collapse the lift prevents.
    const explicit = new AdaptiveBudget(
      { initialTokens: 32_000, minTokens: 4_000, cooldownMs: 0, targetTokenLatencyMs: 70 },
      slo,
    );
    feed(explicit, (i) => (i <= 2 ? 70 : 95));
    expect(explicit.targets.tokenLatencyMs).toBe(70);
    expect(explicit.tokens).toBe(4_000);
    // A server that misses the SLO even alone: 1.5 x its lone latency (throughput first).
    const hopeless = new AdaptiveBudget({ cooldownMs: 0 }, slo);
    feed(hopeless, () => 160);
    expect(hopeless.targets.tokenLatencyMs).toBe(240);
    // No lift before a lone call was measured: a process that starts under load keeps the derived target.
    const loaded = new AdaptiveBudget({ cooldownMs: 0 }, slo);
    for (let i = 1; i <= 5; i++) loaded.onSample({ kind: "tokenLatency", at: i * 500, msPerToken: 95 }, busy);
    expect(loaded.targets.tokenLatencyMs).toBe(70);
  });

  it("averages per-token latency over the interval, weighted by tokens: one long prefill step does not cut", () => {
    const budget = controller({ smoothing: 1 });
    // 400 streams report 20 ms/token, then one step of 180 ms over 400 tokens: the interval mean is ~33 ms.
    for (let i = 0; i < 20; i++)
      budget.onSample({ kind: "tokenLatency", at: 600 + i, msPerToken: 20, tokens: 400 }, busy);
    budget.onSample({ kind: "tokenLatency", at: 700, msPerToken: 180, tokens: 400 }, busy);
    budget.onSample({ kind: "tick", at: 1200 }, busy);
    expect(budget.tokens).toBeGreaterThan(32_000);
  });

  it("counts a server queue only when it is large relative to the running batch", () => {
    const budget = controller();
    budget.onSample(
      { kind: "server", at: 1000, signals: { waiting: 8, running: 400, kvCacheUsage: 0.2 } },
      busy,
    );
    expect(budget.tokens).toBe(32_000 + 2_048);
    budget.onSample(
      { kind: "server", at: 1600, signals: { waiting: 150, running: 400, kvCacheUsage: 0.2 } },
      busy,
    );
    expect(budget.tokens).toBe(Math.round((32_000 + 2_048) * 0.7));
  });

  it("constructor - rejects min > initial naming the field", () => {
    expect(() => new AdaptiveBudget({ minTokens: 10_000, initialTokens: 5_000 })).toThrow(/`initialTokens`/);
  });
});
