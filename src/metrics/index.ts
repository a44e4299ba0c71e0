/** Run metrics (DESIGN.md section 5): records, the SLO and its predicate, percentiles, summaries, server figures. */
export { mean, percentile, percentileSorted, quantileSorted } from "./percentile.js";
export type { CallRecord, RunRecord } from "./records.js";
export { ServerMetrics, type ServerSummary, type StepSample } from "./server.js";
export {
  meetsSlo,
  type RunTimes,
  runE2eMs,
  runNormLatencyMs,
  runTtftMs,
  type Slo,
  SloSchema,
} from "./slo.js";
export {
  type RefusalSummary,
  type RunSummary,
  type SummarizeOptions,
  sortedTtftMs,
  summarize,
} from "./summary.js";
