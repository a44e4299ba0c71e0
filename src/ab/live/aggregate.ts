/**
 * `--repeat K`: one report row from K rows of the same (policy, rate) point run with different seeds. Each
 * figure is the mean over the repeats (over those that have it); `spread` gives min, max and standard
 * deviation of the metrics the report can show it for. `runs` and `unfinished` are totals over the repeats.
 */

import { SPREAD_METRICS, type SpreadMetric, type SpreadStat } from "../../report/schema.js";
import type { BenchResultRow } from "../results.js";

type Numeric = number | null;

function meanOf(values: readonly Numeric[]): Numeric {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function read(row: BenchResultRow, path: string): Numeric {
  let at: unknown = row;
  for (const key of path.split(".")) at = (at as Record<string, unknown> | undefined)?.[key];
  return typeof at === "number" ? at : null;
}

function spreadOf(values: readonly Numeric[]): SpreadStat | undefined {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (xs.length < 2) return undefined;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
  return { min: Math.min(...xs), max: Math.max(...xs), std: Math.sqrt(variance) };
}

/** Mean of every numeric leaf of `rows` (same policy and rate), with `spread` when there are >= 2 rows. */
export function aggregateRows(
  rows: readonly BenchResultRow[],
  ttftCdf?: BenchResultRow["ttftCdf"],
): BenchResultRow {
  const first = rows[0];
  if (first === undefined) throw new RangeError("Expected at least one row to aggregate, got none");
  if (rows.length === 1) return ttftCdf === undefined ? first : { ...first, ttftCdf };
  const m = (path: string) => meanOf(rows.map((r) => read(r, path)));
  const spread: Partial<Record<SpreadMetric, SpreadStat>> = {};
  for (const metric of SPREAD_METRICS) {
    const s = spreadOf(rows.map((r) => read(r, metric)));
    if (s !== undefined) spread[metric] = s;
  }
  const preemptions = m("server.preemptions");
  return {
    policy: first.policy,
    ratePerS: first.ratePerS,
    runs: rows.reduce((a, r) => a + r.runs, 0),
    goodput: m("goodput") ?? 0,
    completedPerS: m("completedPerS") ?? 0,
    sloAttainment: m("sloAttainment") ?? 0,
    ttftMs: { mean: m("ttftMs.mean"), p50: m("ttftMs.p50"), p90: m("ttftMs.p90"), p99: m("ttftMs.p99") },
    e2eMs: { p50: m("e2eMs.p50"), p99: m("e2eMs.p99"), max: m("e2eMs.max") },
    unfinished: rows.reduce((a, r) => a + r.unfinished, 0),
    normLatencyMs: { p50: m("normLatencyMs.p50"), p99: m("normLatencyMs.p99") },
    queueWaitMs: { p99: m("queueWaitMs.p99") },
    server: {
      busyFraction: m("server.busyFraction"),
      meanBatchSize: m("server.meanBatchSize"),
      kvUsageMean: m("server.kvUsageMean"),
      preemptions: preemptions === null ? null : Math.round(preemptions),
    },
    ...(ttftCdf === undefined ? {} : { ttftCdf }),
    spread,
  };
}
