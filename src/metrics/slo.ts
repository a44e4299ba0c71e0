/**
 * The SLO of a run (DESIGN.md section 5): its latency targets and the one predicate that says whether a run met
 * them. Every "met / missed" in AugServe.js (the benches' summaries, the middleware's run record, the A/B report
 * and the Prometheus counters built on it) calls {@link meetsSlo}; changing what "met the SLO" means is a change
 * to this file only. Parts that steer by the targets' values (the scheduler's budget targets and urgency, the
 * live bench's cut-off) read {@link Slo} but decide nothing about met or missed.
 *
 * A leaf (it imports only zod), so that `scheduler/` (pure) may take its SLO type from here.
 */
import { z } from "zod";

/** Per-run latency targets (DESIGN.md section 5). */
export interface Slo {
  /** Time to first token of the run, in ms. */
  ttftMs: number;
  /** (E2E - tool time) / output tokens, in ms per token. */
  normLatencyMsPerToken: number;
}

/**
 * An SLO as a user or a workload file gives it: both targets, > 0, no other key. (The scheduler's options give
 * it defaults; a results file reads it leniently.)
 */
export const SloSchema = z.strictObject({
  /** Time to first token of the run, ms. > 0. */
  ttftMs: z.number().positive(),
  /** (E2E - tool time) / output tokens, ms per token. > 0. */
  normLatencyMsPerToken: z.number().positive(),
}) satisfies z.ZodType<Slo>;

/**
 * What a run's figures are computed from. Times are ms on one clock; `arrivalMs` is the origin of TTFT and E2E.
 * The benches' {@link RunRecord} is one; the middleware builds one when a run ends.
 */
export interface RunTimes {
  arrivalMs: number;
  /** First output token of the run's first call, ms; `null` if never. */
  firstTokenMs: number | null;
  /** When the run ended (final answer or error), ms; `null` if unfinished. */
  endMs: number | null;
  /** Total wall time of the run's tool phases, ms. */
  toolTimeMs: number;
  /** Output tokens of all the run's calls. */
  outputTokens: number;
  /** Set when the run ended in an error (a refusal included). */
  error?: string | undefined;
}

/** TTFT(run) = first token of the run's first call - arrival; `null` if it never came. */
export function runTtftMs(run: RunTimes): number | null {
  return run.firstTokenMs === null ? null : run.firstTokenMs - run.arrivalMs;
}

/** E2E(run) = end - arrival; `null` if unfinished. */
export function runE2eMs(run: RunTimes): number | null {
  return run.endMs === null ? null : run.endMs - run.arrivalMs;
}

/** NormLatency(run) = (E2E - ToolTime) / output tokens, ms/token (InferCept); `null` if unfinished or no tokens. */
export function runNormLatencyMs(run: RunTimes): number | null {
  const e2e = runE2eMs(run);
  if (e2e === null || run.outputTokens <= 0) return null;
  return (e2e - run.toolTimeMs) / run.outputTokens;
}

/**
 * A run meets its SLO iff it finished without error, TTFT <= slo.ttftMs and NormLatency <= the target. A refused
 * run ended in an error: a miss.
 */
export function meetsSlo(run: RunTimes, slo: Slo): boolean {
  if (run.error !== undefined || run.endMs === null) return false;
  const ttft = runTtftMs(run);
  const norm = runNormLatencyMs(run);
  return ttft !== null && norm !== null && ttft <= slo.ttftMs && norm <= slo.normLatencyMsPerToken;
}
