/**
 * Issue 20: which signal the budget law reads, on synthetic sample traces. Prefill stalls in the token gaps,
 * the client's event-loop lag, and the server's own latency histograms.
 */
import { describe, expect, it } from "vitest";
import { AdaptiveBudget, type BudgetContext } from "../../src/scheduler/index.js";

const busy: BudgetContext = { inFlightTokens: 30_000, queuedCalls: 10 };
const slo = { ttftMs: 1000, normLatencyMsPerToken: 100 };

function controller(options: ConstructorParameters<typeof AdaptiveBudget>[0] = {}): AdaptiveBudget {
  return new AdaptiveBudget({ initialTokens: 32_000, minTokens: 4_000, maxTokens: 64_000, ...options }, slo);
}

/**
 * A small GPU below saturation: 40-ms decode steps, and every 2 s one step carrying a prefill chunk that
 * stalls each running stream for 1.9 s (one token per stream), as an 8,192-token chunk on an A10G does.
 * Reports one sample per stream per step, as a token-per-chunk SSE stream does. Returns the cuts seen.
 */
function prefillStalls(budget: AdaptiveBudget, seconds: number): string[] {
  const cuts: string[] = [];
  let t = 0;
  while (t < seconds * 1000) {
    for (let i = 0; i < 50; i++) {
      t += 40;
      const change = budget.onSample({ kind: "tokenLatency", at: t, msPerToken: 40, tokens: 1 }, busy);
      if (change && change.to < change.from) cuts.push(change.reason);
    }
    t += 1900;
    const change = budget.onSample({ kind: "tokenLatency", at: t, msPerToken: 1900, tokens: 1 }, busy);
    if (change && change.to < change.from) cuts.push(change.reason);
  }
  return cuts;
}

describe("AdaptiveBudget - prefill-inflated token gaps", () => {
  it("the median gap reads the decode step: prefill stalls below saturation cut nothing", () => {
    const budget = controller();
    expect(prefillStalls(budget, 120)).toEqual([]);
    expect(budget.state.tokenLatencyMs).toBeGreaterThan(35);
    expect(budget.state.tokenLatencyMs).toBeLessThan(45);
    // The mean, stalls included, is kept beside it (about (50 x 40 + 1,900) / 51 = 76 ms/token).
    expect(budget.state.meanTokenLatencyMs).toBeGreaterThan(60);
  });

  it("the mean gap (the former law, kept for ablation) reads the same trace as pressure", () => {
    const budget = controller({ tokenGapStatistic: "mean" });
    const cuts = prefillStalls(budget, 120);
    expect(cuts.length).toBeGreaterThan(0);
    expect(cuts.every((reason) => reason === "token-latency")).toBe(true);
  });

  it("the median still cuts when the decode step itself slows (the batch is the limit)", () => {
    const budget = controller();
    let t = 0;
    let cut = false;
    for (let i = 0; i < 200 && !cut; i++) {
      t += 100;
      const change = budget.onSample({ kind: "tokenLatency", at: t, msPerToken: 100, tokens: 1 }, busy);
      cut = change !== null && change.to < change.from && change.reason === "token-latency";
    }
    expect(cut).toBe(true);
  });
});

describe("AdaptiveBudget - the client's event-loop lag", () => {
  /** TTFTs of `ms` every 100 ms for 10 s; returns whether a TTFT cut came. */
  function ttfts(budget: AdaptiveBudget, ms: number, lagMs?: number): boolean {
    if (lagMs !== undefined) budget.onSample({ kind: "clientLag", at: 0, ms: lagMs }, busy);
    for (let t = 100; t <= 10_000; t += 100) {
      const change = budget.onSample({ kind: "ttft", at: t, ms }, busy);
      if (change && change.to < change.from && change.reason === "ttft") return true;
    }
    return false;
  }

  it("a TTFT over target is pressure when the client's loop is idle", () => {
    expect(ttfts(controller(), 700)).toBe(true);
  });

  it("the same TTFT is not pressure when 300 ms of it is the client's own lag", () => {
    const budget = controller();
    expect(ttfts(budget, 700, 300)).toBe(false);
    expect(budget.state.ttftMs).toBeCloseTo(400, 0);
  });

  it("ignores a lag that is not a finite, non-negative number", () => {
    const budget = controller();
    budget.onSample({ kind: "clientLag", at: 0, ms: Number.NaN }, busy);
    budget.onSample({ kind: "clientLag", at: 0, ms: -5 }, busy);
    expect(budget.state.clientLagMs).toBe(0);
  });
});

describe("AdaptiveBudget - the server's own latency histograms", () => {
  /** Client TTFTs of 900 ms (lagged) with server TTFTs of `serverMs` each second; returns the cut reasons. */
  function trace(budget: AdaptiveBudget, serverMs: number | undefined, seconds = 10): string[] {
    const cuts: string[] = [];
    for (let t = 100; t <= seconds * 1000; t += 100) {
      // A scrape comes first, then one a second (until then the client's measurements lead).
      if (serverMs !== undefined && (t === 100 || t % 1000 === 0)) {
        const signals = { running: 10, waiting: 0, kvCacheUsage: 0.3, ttftMs: serverMs, tokenLatencyMs: 30 };
        budget.onSample({ kind: "server", at: t, signals }, busy);
      }
      const change = budget.onSample({ kind: "ttft", at: t, ms: 900 }, busy);
      if (change && change.to < change.from) cuts.push(change.reason);
    }
    return cuts;
  }

  it("prefers fresh server TTFTs to the client's", () => {
    const budget = controller();
    expect(trace(budget, 200)).toEqual([]);
    expect(budget.state.ttftMs).toBeLessThan(300);
  });

  it('uses the client\'s with `serverLatency: "ignore"`', () => {
    expect(trace(controller({ serverLatency: "ignore" }), 200)).toContain("ttft");
  });

  it("falls back to the client's once the server's are older than serverStaleMs", () => {
    const budget = controller({ serverStaleMs: 2_000 });
    trace(budget, 200, 3);
    // No more scrapes: the client's 900-ms TTFTs lead again.
    const cuts: string[] = [];
    for (let t = 3_100; t <= 15_000; t += 100) {
      const change = budget.onSample({ kind: "ttft", at: t, ms: 900 }, busy);
      if (change && change.to < change.from) cuts.push(change.reason);
    }
    expect(cuts).toContain("ttft");
  });

  it("a server that exports no latencies leaves the client's in charge", () => {
    expect(trace(controller(), undefined)).toContain("ttft");
  });
});
