/**
 * The cold-start heuristic: a tool-round estimate from the prompt and the tool schemas alone, used before
 * any run has been observed and as one of the estimators blended afterwards (and as a model feature).
 *
 * Rules, in order of how directly the prompt states the work:
 * 1. no bound tools -> 0 rounds (the agent cannot call anything);
 * 2. a count written near a tool-related word ("compute these 3 expressions" with a calculator) -> that count;
 * 3. a bulleted or numbered list of at least two items -> one round per item;
 * 4. any other count in the prompt -> that count;
 * 5. a comma list ("a, b and c") -> one round per item;
 * 6. otherwise one round per step: 1 + step conjunctions, at least the ordinals used and the questions asked.
 */
import type { PromptFeatures } from "./features/index.js";

/** Upper bound of the heuristic (a guard against prompts that list hundreds of items). */
export const MAX_COLD_ROUNDS = 32;

/** Cold-start estimate of a run's total tool rounds. Finite and within [0, {@link MAX_COLD_ROUNDS}]. */
export function coldStartRounds(f: PromptFeatures): number {
  if (f.toolCount === 0) return 0;
  let rounds: number;
  if (f.countNearTool > 0) rounds = f.countNearTool;
  else if (f.bulletLines >= 2) rounds = f.bulletLines;
  else if (f.firstCount > 0) rounds = f.firstCount;
  else if (f.separatedItems >= 2) rounds = f.separatedItems;
  else rounds = Math.max(1 + f.stepConjunctions, f.highestOrdinal, f.questions, f.toolVerbs > 0 ? 1 : 0);
  return Math.min(MAX_COLD_ROUNDS, Math.max(1, rounds));
}
