/**
 * The benchmark's machine-readable report (`--json`), exactly the shape of issue 4, and the sustainable rate.
 */
import type { RunSummary } from "./metrics/summary.js";

/** One (policy, rate) point of the report. */
export interface BenchResultRow {
  policy: string;
  ratePerS: number;
  runs: number;
  goodput: number;
  completedPerS: number;
  sloAttainment: number;
  ttftMs: { mean: number | null; p50: number | null; p90: number | null; p99: number | null };
  e2eMs: { p50: number | null; p99: number | null; max: number | null };
  unfinished: number;
  normLatencyMs: { p50: number | null; p99: number | null };
  queueWaitMs: { p99: number | null };
  server: { busyFraction: number; meanBatchSize: number; kvUsageMean: number; preemptions: number };
}

export interface BenchReport {
  workload: string;
  mode: "virtual" | "live";
  profile: string;
  results: BenchResultRow[];
}

/** The report row of a summary. */
export function resultRow(policy: string, ratePerS: number, s: RunSummary): BenchResultRow {
  return {
    policy,
    ratePerS,
    runs: s.runs,
    goodput: s.goodput,
    completedPerS: s.completedPerS,
    sloAttainment: s.sloAttainment,
    ttftMs: { ...s.ttftMs },
    e2eMs: { ...s.e2eMs },
    unfinished: s.unfinished,
    normLatencyMs: { ...s.normLatencyMs },
    queueWaitMs: { p99: s.queueWaitMs.p99 },
    server: { ...s.server },
  };
}

/** Attainment a rate must reach to count as sustainable. */
export const SUSTAINABLE_ATTAINMENT = 0.9;

/**
 * The sustainable rate of each policy: the highest swept rate at which it met the SLO for at least 90% of
 * runs, or `null` when it met it at no swept rate. (Not required to hold at every lower rate: a policy that
 * fails at a low rate but passes at a higher one is reported at the higher one; the tables show both.)
 */
export function sustainableRates(rows: readonly BenchResultRow[]): Map<string, number | null> {
  const out = new Map<string, number | null>();
  for (const row of rows) {
    if (!out.has(row.policy)) out.set(row.policy, null);
    const best = out.get(row.policy) ?? null;
    if (row.sloAttainment >= SUSTAINABLE_ATTAINMENT && (best === null || row.ratePerS > best))
      out.set(row.policy, row.ratePerS);
  }
  return out;
}
