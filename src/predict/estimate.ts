/**
 * Pure mappings from a {@link RunPrediction} to what the scheduler and the evaluation consume.
 */
import type { RunEstimate } from "../scheduler/types.js";
import type { RunPrediction } from "./types.js";

function clean(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}

/**
 * The scheduler's Stage I input for a prediction. Pure; non-finite or negative fields become 0
 * (the scheduler would clamp them anyway).
 * @example
 * run.updateEstimate(toRunEstimate(predictor.predict(context)));
 */
export function toRunEstimate(prediction: RunPrediction): RunEstimate {
  return {
    remainingToolRounds: clean(prediction.remainingToolRounds),
    outputTokensPerCall: clean(prediction.outputTokensPerCall),
    finalOutputTokens: clean(prediction.finalOutputTokens),
    toolLatencyMs: clean(prediction.toolLatencyMs),
  };
}

/**
 * Weight of one prefill token relative to one decoded token in {@link remainingCost}. A decode step
 * produces one token per sequence while a prefill pass processes hundreds to thousands of tokens, so on
 * current GPUs a prompt token costs roughly a tenth of an output token's server time or less. A fixed
 * convention of the evaluation, not a measured constant.
 */
export const PREFILL_WEIGHT = 0.1;

/** The rest of a run, in the units of {@link remainingCost}. */
export interface RemainingWork {
  /** Intermediate calls to come (one per remaining tool round). */
  rounds: number;
  /** Output tokens of each intermediate call to come (a constant per call for predictions). */
  outputTokensPerCall: number | readonly number[];
  finalOutputTokens: number;
  /** Tokens each tool round adds to the context (results), 0 when unknown. */
  resultTokensPerRound?: number | readonly number[];
}

/**
 * Remaining cost of a run in decode-token equivalents:
 * cost = sum over the remaining calls (every remaining tool round's call, then the final answer) of
 * output tokens + PREFILL_WEIGHT x prompt tokens of that call, where a call's prompt is the whole context
 * (the context now, plus earlier outputs and tool results). Ignoring the prefix cache makes prefill an
 * upper bound, but it ranks runs the same way for every predictor, which is what the evaluation compares.
 */
export function remainingCost(work: RemainingWork, contextTokens: number): number {
  const n = clean(work.rounds);
  const whole = Math.floor(n);
  const at = (v: number | readonly number[] | undefined, i: number) =>
    typeof v === "number" ? clean(v) : v === undefined ? 0 : clean(v[i] ?? 0);
  let context = clean(contextTokens);
  let cost = 0;
  for (let i = 0; i < whole; i++) {
    const out = at(work.outputTokensPerCall, i);
    cost += out + PREFILL_WEIGHT * context;
    context += out + at(work.resultTokensPerRound, i);
  }
  const fraction = n - whole; // a predicted 2.4 rounds costs 2 calls and 0.4 of a third
  if (fraction > 0) {
    const out = at(work.outputTokensPerCall, whole);
    cost += fraction * (out + PREFILL_WEIGHT * context);
    context += fraction * (out + at(work.resultTokensPerRound, whole));
  }
  return cost + clean(work.finalOutputTokens) + PREFILL_WEIGHT * context;
}
