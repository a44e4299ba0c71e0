/** Workload files -> concrete runs (DESIGN.md section 6). */

export { generateArguments, generateValue } from "./arguments.js";
export { arrivalTimes, burstyRateAt, withRate } from "./arrivals.js";
export { type Distribution, DistributionSchema, sample, sampleCount } from "./distribution.js";
export { jsonPath, WorkloadFileError, type WorkloadIssue, WorkloadValidationError } from "./errors.js";
export { type GenerateOptions, generateWorkload, runId } from "./generate.js";
export { loadWorkload } from "./load.js";
export { Rng } from "./rng.js";
export * from "./schema.js";
export { convertTrace } from "./trace.js";
export type * from "./types.js";
