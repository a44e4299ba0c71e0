/**
 * The server side of several engines (replicas) as one: what a fleet's summary reports.
 */
import type { ServerSummary } from "../metrics/server.js";

/** The mean busy fraction, batch size and KV use over `summaries`, and their preemptions summed. */
export function meanServerSummary(summaries: readonly ServerSummary[]): ServerSummary {
  const n = Math.max(1, summaries.length);
  const sum = (f: (s: ServerSummary) => number) => summaries.reduce((a, s) => a + f(s), 0);
  return {
    busyFraction: sum((s) => s.busyFraction) / n,
    meanBatchSize: sum((s) => s.meanBatchSize) / n,
    kvUsageMean: sum((s) => s.kvUsageMean) / n,
    preemptions: sum((s) => s.preemptions),
  };
}
