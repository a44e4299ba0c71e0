/** Workload files -> concrete runs (DESIGN.md section 6). */

export { generateArguments, generateValue } from "./arguments.js";
export { arrivalTimes, burstyRateAt, withRate } from "./arrivals.js";
export { boundedDistribution, WORKLOAD_LIMITS } from "./bounds.js";
export { type Distribution, DistributionSchema, sample, sampleCount } from "./distribution.js";
export {
  jsonPath,
  WorkloadFileError,
  type WorkloadIssue,
  WorkloadTooLargeError,
  WorkloadValidationError,
} from "./errors.js";
export { type GenerateOptions, GenerateOptionsSchema, generateWorkload, runId } from "./generate.js";
export { type CountHint, CountHintSchema, hintTruth, statedCount } from "./hint.js";
export { loadWorkload } from "./load.js";
export { firstCallIds, toolResultText } from "./prompt.js";
export { hashString, Rng } from "./rng.js";
export * from "./schema.js";
export { expectedArrivals, runContextTokens } from "./size.js";
export { convertTrace } from "./trace.js";
export type * from "./types.js";
