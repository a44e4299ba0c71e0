/**
 * Per-run and per-call records: what every driver (virtual or live) writes down, and the metrics of
 * DESIGN.md section 5 computed from them. Times are ms on the driver's clock; the run's arrival is its origin
 * for TTFT and E2E.
 */
import type { Slo } from "../scheduler/types.js";

/** One call (model generation request) of a run. */
export interface CallRecord {
  /** When the agent was ready to send the call (after the previous tool phase), ms. */
  submitMs: number;
  /**
   * When the server first worked on the call (its first prefill step), ms; `null` if never. The gap from
   * `submitMs` is the call's queue wait, client-side queue and server queue together, so that policies that
   * queue in the client and policies that queue in the server are measured alike.
   */
  startMs: number | null;
  /** When the call's first output token arrived, ms; `null` if never. */
  firstTokenMs: number | null;
  /** When the call's last token arrived (or it failed), ms; `null` if unfinished. */
  endMs: number | null;
  outputTokens: number;
}

/** One run (agent invocation). */
export interface RunRecord {
  id: string;
  className: string;
  arrivalMs: number;
  /** First output token of the run's first call, ms; `null` if never. */
  firstTokenMs: number | null;
  /** When the run ended (final answer or error), ms; `null` if unfinished. */
  endMs: number | null;
  /** Total wall time of the run's tool phases, ms. */
  toolTimeMs: number;
  /** Output tokens of all the run's calls. */
  outputTokens: number;
  calls: CallRecord[];
  /** Set when the run ended in an error (a refusal included). */
  error?: string;
  /**
   * Set when overload shedding refused the run (`AugServeOverloadedError`): it ended, unserved, at `endMs`.
   * A refused run is an SLO miss in every metric.
   */
  refused?: boolean;
}

/** TTFT(run) = first token of the run's first call - arrival; `null` if it never came. */
export function runTtftMs(run: RunRecord): number | null {
  return run.firstTokenMs === null ? null : run.firstTokenMs - run.arrivalMs;
}

/** E2E(run) = end - arrival; `null` if unfinished. */
export function runE2eMs(run: RunRecord): number | null {
  return run.endMs === null ? null : run.endMs - run.arrivalMs;
}

/** NormLatency(run) = (E2E - ToolTime) / output tokens, ms/token (InferCept); `null` if unfinished or no tokens. */
export function runNormLatencyMs(run: RunRecord): number | null {
  const e2e = runE2eMs(run);
  if (e2e === null || run.outputTokens <= 0) return null;
  return (e2e - run.toolTimeMs) / run.outputTokens;
}

/**
 * A run meets its SLO iff it finished without error, TTFT <= slo.ttftMs and NormLatency <= the target. A refused
 * run ended in an error: a miss.
 */
export function meetsSlo(run: RunRecord, slo: Slo): boolean {
  if (run.error !== undefined || run.endMs === null) return false;
  const ttft = runTtftMs(run);
  const norm = runNormLatencyMs(run);
  return ttft !== null && norm !== null && ttft <= slo.ttftMs && norm <= slo.normLatencyMsPerToken;
}
