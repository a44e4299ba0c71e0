import { describe, expect, it } from "vitest";
import {
  meetsSlo,
  percentile,
  type RunRecord,
  runNormLatencyMs,
  ServerMetrics,
  summarize,
} from "../../src/metrics/index.js";

const slo = { ttftMs: 1000, normLatencyMsPerToken: 100 };
const idle = { busyFraction: 0, meanBatchSize: 0, kvUsageMean: 0, preemptions: 0 };

/** A finished run: arrives at `arrivalMs`, first token after `ttft`, ends after `e2e`, `tool` ms of tools. */
function run(
  id: string,
  arrivalMs: number,
  ttft: number,
  e2e: number,
  tool: number,
  tokens: number,
): RunRecord {
  return {
    id,
    className: "c",
    arrivalMs,
    firstTokenMs: arrivalMs + ttft,
    endMs: arrivalMs + e2e,
    toolTimeMs: tool,
    outputTokens: tokens,
    calls: [
      {
        submitMs: arrivalMs,
        startMs: arrivalMs + ttft / 2,
        firstTokenMs: arrivalMs + ttft,
        endMs: null,
        outputTokens: tokens,
      },
    ],
  };
}

describe("percentile()", () => {
  it("interpolates linearly between closest ranks (numpy's default)", () => {
    const xs = [15, 20, 35, 40, 50];
    expect(percentile(xs, 0)).toBe(15);
    expect(percentile(xs, 100)).toBe(50);
    expect(percentile(xs, 50)).toBe(35);
    expect(percentile(xs, 40)).toBeCloseTo(29); // h = 1.6: 20 + 0.6 * 15
    expect(percentile([3, 1, 2], 50)).toBe(2);
    expect(percentile([], 50)).toBeNull();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe("meetsSlo() / runNormLatencyMs()", () => {
  it("NormLatency excludes tool time, as InferCept defines it", () => {
    // E2E 10 s of which 6 s of tools, 100 tokens -> 40 ms/token.
    expect(runNormLatencyMs(run("a", 0, 200, 10_000, 6_000, 100))).toBe(40);
  });

  it("needs TTFT and NormLatency within target, a finish, and no error", () => {
    expect(meetsSlo(run("a", 0, 1000, 10_000, 0, 100), slo)).toBe(true); // exactly on both targets
    expect(meetsSlo(run("a", 0, 1001, 10_000, 0, 100), slo)).toBe(false);
    expect(meetsSlo(run("a", 0, 200, 10_001, 0, 100), slo)).toBe(false);
    expect(meetsSlo({ ...run("a", 0, 200, 1000, 0, 100), error: "boom" }, slo)).toBe(false);
    expect(meetsSlo({ ...run("a", 0, 200, 1000, 0, 100), endMs: null }, slo)).toBe(false);
  });
});

describe("summarize()", () => {
  it("computes goodput, attainment and percentiles on a hand-built trace", () => {
    const records: RunRecord[] = [
      run("good1", 0, 100, 2_000, 0, 100), // norm 20
      run("good2", 1_000, 300, 5_000, 3_000, 50), // norm 40
      run("slowTtft", 2_000, 1_500, 4_000, 0, 100), // TTFT miss
      run("slowNorm", 3_000, 500, 30_000, 0, 100), // norm 300 miss
      { ...run("unfinished", 4_000, 700, 0, 0, 10), endMs: null },
    ];
    const s = summarize(records, { windowMs: 10_000, slo, server: idle });
    expect(s.runs).toBe(5);
    expect(s.completed).toBe(4);
    expect(s.unfinished).toBe(1);
    expect(s.goodput).toBeCloseTo(0.2); // 2 good runs / 10 s
    expect(s.completedPerS).toBeCloseTo(0.4);
    expect(s.sloAttainment).toBeCloseTo(0.4);
    // TTFTs of runs with a first token: 100, 300, 500, 700, 1500.
    expect(s.ttftMs.mean).toBeCloseTo(620);
    expect(s.ttftMs.p50).toBe(500);
    expect(s.ttftMs.p90).toBeCloseTo(1180); // h = 3.6: 700 + 0.6 * 800
    // E2E of completed runs: 2000, 4000, 5000, 30000.
    expect(s.e2eMs.p50).toBe(4500);
    expect(s.e2eMs.max).toBe(30_000);
    expect(s.normLatencyMs.p50).toBe(40); // 20, 40, 40, 300
    expect(s.queueWaitMs.p50).toBe(250); // waits 50, 150, 250, 350, 750
  });

  it("gives null latencies, not zeros, when nothing finished", () => {
    const s = summarize([], { windowMs: 1000, slo, server: idle });
    expect(s.ttftMs.p99).toBeNull();
    expect(s.e2eMs.max).toBeNull();
    expect(s.sloAttainment).toBe(0);
  });
});

describe("ServerMetrics", () => {
  it("busy fraction, step-weighted batch and time-weighted KV use", () => {
    const m = new ServerMetrics();
    m.record(0, { durationMs: 10, batchSize: 2, preempted: [] }, 0.5); // KV 0.5 from 10 ms
    m.record(10, { durationMs: 10, batchSize: 4, preempted: ["x"] }, 1); // KV 1 from 20 ms
    m.record(50, { durationMs: 30, batchSize: 6, preempted: ["y", "z"] }, 0); // KV 0 from 80 ms
    const s = m.summary(100);
    expect(s.busyFraction).toBeCloseTo(0.5);
    expect(s.meanBatchSize).toBeCloseTo(4);
    // 0.5 * 10 (10-20) + 1 * 60 (20-80) + 0 = 65 over 100 ms.
    expect(s.kvUsageMean).toBeCloseTo(0.65);
    expect(s.preemptions).toBe(3);
  });
});
