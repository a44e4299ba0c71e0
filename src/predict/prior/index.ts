/**
 * The shipped prior: weights trained by `npm run train:predictor` on the BFCL v4 tuning set
 * (data/bfcl/, Apache-2.0; see NOTICE), loaded from the JSON beside this module: no network, no download.
 */
import weights from "./bfcl-prior.weights.json" with { type: "json" };
import { PriorModel } from "./model.js";

let shipped: PriorModel | undefined;

/** The prior that ships with the library (parsed once, then shared: it is never mutated). */
export function shippedPrior(): PriorModel {
  shipped ??= new PriorModel(weights);
  return shipped;
}

export { PRIOR_FEATURES, type PriorFeatureName, priorFeatures } from "./features.js";
export {
  OPEN_TOOL_FLOOR,
  type PriorEstimate,
  PriorModel,
  type PriorWeights,
  PriorWeightsSchema,
} from "./model.js";
