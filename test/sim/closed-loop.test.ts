import { describe, expect, it } from "vitest";
import { closedLoopRun } from "../../src/sim/closed-loop.js";
import { singleRequestTtftMs } from "../../src/sim/fidelity.js";

describe("closedLoopRun()", () => {
  it("at concurrency 1 every request sees a lone request's TTFT, and all tokens are counted", () => {
    const r = closedLoopRun(
      { profile: "mistral7b-rtx4090" },
      { concurrency: 1, count: 5, promptTokens: 256, outputTokens: () => 20 },
    );
    const lone = singleRequestTtftMs({ profile: "mistral7b-rtx4090" }, 256);
    expect(r.medianTtftMs).toBeCloseTo(lone, 6);
    expect(r.meanTtftMs).toBeCloseTo(lone, 6);
    expect(r.outputTokensPerS / r.requestsPerS).toBeCloseTo(20, 6);
  });

  it("more requests in flight raise throughput and per-token latency", () => {
    const run = (concurrency: number) =>
      closedLoopRun(
        { profile: "mistral7b-rtx4090" },
        { concurrency, count: 64, promptTokens: 256, outputTokens: () => 50 },
      );
    const low = run(2);
    const high = run(32);
    expect(high.outputTokensPerS).toBeGreaterThan(low.outputTokensPerS * 4);
    expect(high.meanTpotMs).toBeGreaterThan(low.meanTpotMs);
  });
});
