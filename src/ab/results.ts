/**
 * The benchmark's machine-readable report (`--json`): the fields of issue 4, plus the optional `setup`,
 * `ttftCdf` and `timelines` of the HTML report's schema (`src/report/schema.ts`); and the sustainable rate.
 */
import type { RefusalSummary, RunSummary } from "../metrics/index.js";
import type { BenchResultsInput, PolicyResult } from "../report/schema.js";

/**
 * One (policy, rate) point of the report: the HTML report's schema (the one source of the shape it reads),
 * plus what only the bench's tables and `--json` consumers read (the report drops unknown keys):
 * - `windowS`: the arrival window the goodput is per second of;
 * - `refused`: overload shedding's refusals (present when the point had any).
 */
export type BenchResultRow = PolicyResult & { windowS?: number; refused?: RefusalSummary };
export type BenchReport = Omit<BenchResultsInput, "results"> & { results: BenchResultRow[] };

/** At most this many (ms, fraction) pairs of the TTFT CDF are kept (the report's limit). */
const CDF_POINTS = 200;

/** The TTFT CDF as (ms, cumulative fraction) pairs, downsampled evenly to at most 200 pairs. */
export function ttftCdf(sortedTtftMs: readonly number[]): Array<[number, number]> {
  const n = sortedTtftMs.length;
  if (n === 0) return [];
  const take = Math.min(n, CDF_POINTS);
  const out: Array<[number, number]> = [];
  for (let k = 0; k < take; k++) {
    const i = take === 1 ? n - 1 : Math.round((k * (n - 1)) / (take - 1));
    out.push([sortedTtftMs[i] as number, (i + 1) / n]);
  }
  return out;
}

/** The report row of a summary; `windowMs` is the arrival window it was measured over. */
export function resultRow(
  policy: string,
  ratePerS: number,
  s: RunSummary,
  sortedTtftMs: readonly number[] = [],
  windowMs?: number,
): BenchResultRow {
  return {
    policy,
    ratePerS,
    ...(windowMs === undefined ? {} : { windowS: windowMs / 1000 }),
    ...(s.refused.runs > 0 ? { refused: { ...s.refused, latencyMs: { ...s.refused.latencyMs } } } : {}),
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
    ...(sortedTtftMs.length > 0 ? { ttftCdf: ttftCdf(sortedTtftMs) } : {}),
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
