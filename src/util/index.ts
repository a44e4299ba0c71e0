/**
 * The leaf every part may import: the error base, option validation and the seeded PRNG. It imports nothing
 * of the project.
 */
export { AugServeError, OptionsError } from "./errors.js";
export { parseFlagsOrExit } from "./flags.js";
export { mulberry32 } from "./prng.js";
export {
  type Declared,
  type GaugeRow,
  MetricDeclarer,
  type MetricRow,
  type ReadRow,
} from "./prometheus.js";
export {
  describeIssues,
  describeValue,
  issueLines,
  MAX_TIMER_MS,
  type OptionIssue,
  optionIssueLines,
  parseOptionsWith,
  parseWith,
  suggestKey,
  zodIssueLines,
} from "./validate.js";
export { UniqueKeys } from "./zod.js";
