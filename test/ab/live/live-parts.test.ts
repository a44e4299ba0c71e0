import { describe, expect, it } from "vitest";
import {
  aggregateRows,
  CallWindow,
  parseLiveOptions,
  ScriptedCalls,
  toolResultText,
} from "../../../src/ab/live/index.js";
import type { BenchResultRow } from "../../../src/ab/results.js";
import { countTokens } from "../../../src/script/tokenizer.js";
import type { GeneratedRun } from "../../../src/workload/types.js";

const run = {
  id: "r00000",
  script: {
    rounds: [
      { outputTokens: 5, calls: [{ tool: "calc", arguments: { e: "1+1" }, latencyMs: 10, resultTokens: 4 }] },
      {
        outputTokens: 5,
        calls: [
          { tool: "calc", arguments: { e: "2+2" }, latencyMs: 20, resultTokens: 4 },
          { tool: "calc", arguments: { e: "3+3" }, latencyMs: 30, resultTokens: 4 },
        ],
      },
    ],
    finalOutputTokens: 9,
  },
} as unknown as GeneratedRun;

function row(goodput: number, runs: number): BenchResultRow {
  return {
    policy: "plain",
    ratePerS: 1,
    runs,
    goodput,
    completedPerS: goodput,
    sloAttainment: 0.5,
    ttftMs: { mean: goodput * 100, p50: null, p90: null, p99: null },
    e2eMs: { p50: 1, p99: 2, max: 3 },
    unfinished: 0,
    normLatencyMs: { p50: 1, p99: 2 },
    queueWaitMs: { p99: 1 },
    server: { busyFraction: 0.5, meanBatchSize: 2, kvUsageMean: 0.1, preemptions: 0 },
  };
}

describe("ScriptedCalls.take()", () => {
  it("matches a tool call to its scripted latency by arguments, whatever order parallel calls run in", () => {
    const calls = new ScriptedCalls(run);
    expect(calls.take("calc", { e: "3+3" })?.latencyMs).toBe(30);
    expect(calls.take("calc", { e: "unknown" })?.latencyMs).toBe(10);
    expect(calls.take("calc", { e: "2+2" })?.latencyMs).toBe(20);
    expect(calls.take("calc", { e: "2+2" })).toBeUndefined();
  });
});

describe("toolResultText()", () => {
  it("has the scripted number of tokens under the simulator's tokenizer", () => {
    for (const n of [1, 4, 10, 21]) expect(countTokens(toolResultText(n))).toBe(n);
  });
});

describe("CallWindow.run()", () => {
  it("keeps at most `size` calls in flight, first come first served", async () => {
    const window = new CallWindow(2);
    let inFlight = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        window.run(async () => {
          inFlight++;
          peak = Math.max(peak, inFlight);
          await new Promise((r) => setTimeout(r, 5));
          order.push(i);
          inFlight--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it("rejects a window that is not an integer >= 1", () => {
    expect(() => new CallWindow(0)).toThrow("Expected a window size that is an integer >= 1, got 0");
  });
});

describe("aggregateRows()", () => {
  it("reports the mean with min, max and std as spread, and totals of runs", () => {
    const out = aggregateRows([row(1, 10), row(3, 12)]);
    expect(out.goodput).toBe(2);
    expect(out.runs).toBe(22);
    expect(out.ttftMs.mean).toBe(200);
    expect(out.ttftMs.p50).toBeNull();
    expect(out.spread?.goodput).toEqual({ min: 1, max: 3, std: Math.SQRT2 });
    expect(out.spread?.["ttftMs.p50"]).toBeUndefined();
  });
});

describe("parseLiveOptions()", () => {
  it("defaults the time scale by backend and names a bad field with what came", () => {
    expect(parseLiveOptions({ policy: "plain" }).timeScale).toBe(4);
    expect(parseLiveOptions({ policy: "plain", backend: "http://127.0.0.1:8000/v1" }).timeScale).toBe(1);
    expect(() => parseLiveOptions({ policy: "plain", timeScale: -1 })).toThrow(/timeScale: .*got -1/);
    expect(() => parseLiveOptions({ policy: "augserve-oracle" as never })).toThrow(/policy/);
  });
});
