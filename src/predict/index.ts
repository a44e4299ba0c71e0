/** Stage I prediction (DESIGN.md section 4): public API. */
export { coldStartRounds } from "./cold-start.js";
export {
  PredictorOptionsError,
  PredictorStateError,
  type PredictorStateProblem,
} from "./errors.js";
export { PREFILL_WEIGHT, type RemainingWork, remainingCost, toRunEstimate } from "./estimate.js";
export { MeanBaselinePredictor } from "./mean-baseline.js";
export {
  type PredictorOptions,
  PredictorOptionsSchema,
  type ResolvedPredictorOptions,
} from "./options.js";
export { type LoadOrColdOptions, loadOrCold, loadPredictor, savePredictor } from "./persistence.js";
export { createPredictor, OnlinePredictor, type RoundEstimate } from "./predictor.js";
export {
  OPEN_TOOL_FLOOR,
  PRIOR_FEATURES,
  type PriorEstimate,
  PriorModel,
  type PriorWeights,
  shippedPrior,
} from "./prior/index.js";
export { PREDICTOR_STATE_VERSION, type PredictorState } from "./state.js";
export type { PredictionContext, Predictor, RunObservation, RunPrediction, ToolSchema } from "./types.js";
