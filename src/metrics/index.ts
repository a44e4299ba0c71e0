/** Benchmark metrics (DESIGN.md section 5). */
export { mean, percentile, percentileSorted } from "./percentile.js";
export {
  type CallRecord,
  meetsSlo,
  type RunRecord,
  runE2eMs,
  runNormLatencyMs,
  runTtftMs,
} from "./records.js";
export { ServerMetrics, type ServerSummary, type StepSample } from "./server.js";
export { type RunSummary, type SummarizeOptions, summarize } from "./summary.js";
