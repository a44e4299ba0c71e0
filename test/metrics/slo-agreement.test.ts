import { describe, expect, it } from "vitest";
import type { AgentRunOutcome } from "../../src/langchain/report.js";
import { TrackedRun } from "../../src/langchain/run-state.js";
import { meetsSlo, type RunRecord, runNormLatencyMs, runTtftMs, summarize } from "../../src/metrics/index.js";

/**
 * The middleware's run record (langchain `TrackedRun.record`) and the benches' run record (metrics `RunRecord`)
 * must say the same "met / missed" for the same timings: both call metrics' one predicate.
 */
const slo = { ttftMs: 1000, normLatencyMsPerToken: 50 };
const context = { systemPrompt: "", userPrompt: "", tools: [], toolRoundsDone: 0 };

interface Timings {
  arrivalMs: number;
  /** First token after arrival, ms; undefined when none came. */
  ttftMs: number | undefined;
  e2eMs: number;
  toolMs: number;
  /** Output tokens of each call. */
  tokens: number[];
  outcome: AgentRunOutcome;
}

/** The middleware's record of a run with these timings. */
function middlewareRecord(t: Timings) {
  const run = new TrackedRun("r", "treatment", undefined, context, t.arrivalMs);
  if (t.ttftMs !== undefined) run.firstTokenMs = t.arrivalMs + t.ttftMs;
  run.toolMs = t.toolMs;
  for (const tokens of t.tokens) run.recordCall(tokens, 0, t.arrivalMs);
  return run.record(t.outcome, t.arrivalMs + t.e2eMs, slo);
}

/** The benches' record of the same run. */
function benchRecord(t: Timings): RunRecord {
  const outputTokens = t.tokens.reduce((a, b) => a + b, 0);
  return {
    id: "r",
    className: "c",
    arrivalMs: t.arrivalMs,
    firstTokenMs: t.ttftMs === undefined ? null : t.arrivalMs + t.ttftMs,
    endMs: t.arrivalMs + t.e2eMs,
    toolTimeMs: t.toolMs,
    outputTokens,
    calls: [],
    ...(t.outcome === "ok" ? {} : { error: t.outcome }),
  };
}

const base: Timings = {
  arrivalMs: 500,
  ttftMs: 400,
  e2eMs: 3000,
  toolMs: 1000,
  tokens: [10, 30],
  outcome: "ok",
};
const cases: [string, Timings][] = [
  ["well inside both targets", base],
  ["TTFT exactly at the target", { ...base, ttftMs: 1000 }],
  ["TTFT just over", { ...base, ttftMs: 1000.001 }],
  // (3000 - 1000) / 40 = 50 ms/token: exactly at the target.
  ["NormLatency exactly at the target", { ...base, tokens: [10, 30] }],
  ["NormLatency just over", { ...base, e2eMs: 3000.01 }],
  ["tool time bringing NormLatency under", { ...base, e2eMs: 6000, toolMs: 4000 }],
  ["no first token", { ...base, ttftMs: undefined }],
  ["no output tokens", { ...base, tokens: [] }],
  ["ended in an error", { ...base, outcome: "error" }],
  ["aborted", { ...base, outcome: "aborted" }],
  ["abandoned", { ...base, outcome: "abandoned" }],
];

describe("one SLO predicate for the middleware and the benches", () => {
  it.each(cases)("%s: same figures, same verdict", (_name, t) => {
    const mw = middlewareRecord(t);
    const bench = benchRecord(t);
    expect(mw.sloMet).toBe(meetsSlo(bench, slo));
    expect(mw.ttftMs).toBe(runTtftMs(bench));
    expect(mw.normLatencyMsPerToken).toBe(runNormLatencyMs(bench));
  });

  it("the verdicts are the expected ones (the cases cover both sides)", () => {
    expect(cases.map(([, t]) => middlewareRecord(t).sloMet)).toEqual([
      true,
      true,
      false,
      true,
      false,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it("the bench summary's attainment agrees with the middleware's records", () => {
    const records = cases.map(([, t]) => benchRecord(t));
    const summary = summarize(records, {
      windowMs: 1000,
      slo,
      server: { busyFraction: 0, meanBatchSize: 0, kvUsageMean: 0, preemptions: 0 },
    });
    const met = cases.filter(([, t]) => middlewareRecord(t).sloMet).length;
    expect(summary.sloAttainment).toBe(met / cases.length);
  });
});
