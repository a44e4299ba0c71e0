/**
 * The cold-start heuristic: a tool-round estimate from the prompt and the tool schemas alone, used before
 * any run has been observed and as one of the estimators blended afterwards (and as a model feature).
 *
 * Rounds if a tool is called at all, in order of how directly the prompt states the work:
 * 1. a count written near a tool-related word ("compute these 3 expressions" with a calculator) -> that count;
 * 2. a bulleted or numbered list of at least two items -> one round per item;
 * 3. any other count in the prompt -> that count (quantities such as "50 kilometers" or "the last 20
 *    lines" are not counts: see counts.ts);
 * 4. otherwise one round per step: 1 + step conjunctions, at least the ordinals used and the questions asked.
 * A comma list ("Paris, Rome and Berlin") is not a sequence of rounds but parallel calls within one round:
 * it shapes calls per round ({@link parallelCallsPerRound}), not rounds.
 *
 * Whether a tool is called at all is the pretrained prior's decision (prior/model.ts): the estimate is
 * P(tool) x rounds-if-tool, so a chatbot turn that matches none of the bound tools predicts about 0.
 */
import type { PromptFeatures } from "./features/index.js";
import type { PriorEstimate } from "./prior/model.js";

/** Upper bound of the heuristic (a guard against prompts that list hundreds of items). */
export const MAX_COLD_ROUNDS = 32;

/** Rounds a run makes if it calls a tool at all, from the prompt alone: within [1, {@link MAX_COLD_ROUNDS}]. */
export function roundsIfTool(f: PromptFeatures): number {
  let rounds: number;
  if (f.countNearTool > 0) rounds = f.countNearTool;
  else if (f.bulletLines >= 2) rounds = f.bulletLines;
  else if (f.firstCount > 0) rounds = f.firstCount;
  else rounds = Math.max(1 + f.stepConjunctions, f.highestOrdinal, f.questions, 1);
  return Math.min(MAX_COLD_ROUNDS, Math.max(1, rounds));
}

/**
 * Rounds if a tool is called, given the prior: the prompt's rounds, but never more than the calls the
 * prior expects (a round makes at least one call). The prior decides how many calls; the prompt's
 * structure decides how they split into sequential rounds and parallel calls.
 */
function splitRounds(f: PromptFeatures, prior: PriorEstimate): number {
  return Math.max(1, Math.min(roundsIfTool(f), callsIfTool(f, prior)));
}

/**
 * Calls if a tool is called: the prior's, or the explicit count the prompt writes when that is more
 * ("search for these 4 companies": 4), the most direct statement of the work there is. (Counts near a
 * tool word and bulleted lists were tried too: on the tuning set they cost 0.08 of Spearman, being
 * quantities or one call's arguments more often than separate calls.)
 */
function callsIfTool(f: PromptFeatures, prior: PriorEstimate): number {
  return Math.max(prior.callsIfTool, Math.min(MAX_COLD_ROUNDS, f.explicitCount));
}

/**
 * Cold-start estimate of a run's total tool rounds: 0 without bound tools; with a prior, the expected
 * rounds P(tool) x rounds-if-tool (capped by the prior's calls); without one, rounds-if-tool. Finite,
 * within [0, {@link MAX_COLD_ROUNDS}].
 */
export function coldStartRounds(f: PromptFeatures, prior?: PriorEstimate): number {
  if (f.toolCount === 0) return 0;
  return prior === undefined ? roundsIfTool(f) : prior.needsTool * splitRounds(f, prior);
}

/**
 * Calls per round the prompt implies: the prior's calls (if a tool is called) spread over the rounds,
 * at least 1. "The weather in Paris, Rome and Berlin": 3 calls in 1 round. Rounds x calls per round is
 * the prior's expected calls.
 */
export function parallelCallsPerRound(f: PromptFeatures, prior?: PriorEstimate): number {
  if (f.toolCount === 0 || prior === undefined) return 1;
  return Math.max(1, callsIfTool(f, prior) / splitRounds(f, prior));
}
