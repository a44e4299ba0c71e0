/**
 * The multi-replica A/B (`augserve bench --replicas N --placement round-robin,least-loaded,augserve`): at each
 * rate, every placement over the identical runs (fresh engines, schedulers and predictor each), and a
 * single-replica reference at rate / N (the same load per replica) for the prefix-cache hit rate.
 */
import type { PlacementPolicy } from "../../gateway/placement/placer.js";
import { sortedTtftMs } from "../../metrics/index.js";
import type { SchedulerOptions } from "../../scheduler/options.js";
import type { PolicyName } from "../../scheduler/types.js";
import { type BenchReport, type BenchResultRow, resultRow } from "../results.js";
import { renderTable } from "../table.js";
import { loadPoint, sweepPoints, virtualReportHead, withDuration } from "../virtual/sweep.js";
import { runReplicas } from "./driver.js";

export interface ReplicaSweepOptions {
  /** A workload file path, or its parsed JSON. */
  workload: string | object;
  replicas: number;
  placements: readonly PlacementPolicy[];
  /** Fleet-wide arrival rates, runs/s; the file's own when absent. */
  rates?: readonly number[];
  seed?: number;
  /** Overrides the file's arrival window, s (shorter windows for quick looks; say so when reporting). */
  durationS?: number;
  policy?: PolicyName;
  profile?: string;
  schedulerOptions?: SchedulerOptions;
  onTotal?: (runs: number) => void;
  onProgress?: (delta: number, label: string) => void;
}

/** One report row, with what the multi-replica table adds. */
export type ReplicaResultRow = BenchResultRow & {
  replicas: number;
  prefixHitRate: number;
  callsPerReplica: number[];
  decisions: Record<string, number>;
};

export interface ReplicaBenchReport extends BenchReport {
  replicaResults: ReplicaResultRow[];
}

/** The label of the single-replica reference rows. */
export const SINGLE = "single";

export function runReplicaSweep(o: ReplicaSweepOptions): ReplicaBenchReport {
  // The same reading as the single-server sweep: an unreadable file is a WorkloadFileError naming it.
  const file = o.durationS === undefined ? o.workload : withDuration(o.workload, o.durationS);
  // Each fleet-wide rate, and the single replica's reference at the same load per replica.
  const points = sweepPoints(file, o.rates, o.seed).map((p) => ({
    ...p,
    single: loadPoint(file, o.seed, p.rate / o.replicas),
  }));
  o.onTotal?.(
    points.reduce((a, p) => a + p.workload.runs.length * o.placements.length + p.single.runs.length, 0),
  );
  const rows: ReplicaResultRow[] = [];
  const run = (
    label: string,
    rate: number,
    replicas: number,
    placement: PlacementPolicy,
    workload: (typeof points)[number]["workload"],
  ) => {
    let reported = 0;
    const result = runReplicas({
      workload,
      replicas,
      placement,
      ...(o.policy === undefined ? {} : { policy: o.policy }),
      ...(o.profile === undefined ? {} : { profile: o.profile }),
      ...(o.schedulerOptions === undefined ? {} : { schedulerOptions: o.schedulerOptions }),
      onRunEnded: (ended) => {
        if (ended - reported >= 50) {
          o.onProgress?.(ended - reported, `${label} @ ${rate}/s`);
          reported = ended;
        }
      },
    });
    o.onProgress?.(workload.runs.length - reported, `${label} @ ${rate}/s`);
    const ttfts = sortedTtftMs(result.records);
    rows.push({
      ...resultRow(label, rate, result.summary, ttfts),
      replicas,
      prefixHitRate: result.prefixHitRate,
      callsPerReplica: result.callsPerReplica,
      decisions: result.decisions,
    });
  };
  for (const p of points) {
    for (const placement of o.placements) run(placement, p.rate, o.replicas, placement, p.workload);
    run(SINGLE, p.rate, 1, "augserve", p.single);
  }
  return {
    ...virtualReportHead(points[0]?.workload, {
      profile: o.profile,
      date: new Date().toISOString(),
      policies: [...o.placements, SINGLE],
      rates: points.map((p) => p.rate),
    }),
    results: rows,
    replicaResults: rows,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/**
 * The text table: per rate and placement, goodput, its ratio to the best of the baselines (round-robin,
 * least-loaded), SLO attainment, TTFT, the prefix-cache hit rate and its distance to the single replica's.
 */
export function renderReplicaTable(rows: readonly ReplicaResultRow[], replicas: number): string {
  const out: string[] = [];
  for (const rate of [...new Set(rows.map((r) => r.ratePerS))]) {
    const at = rows.filter((r) => r.ratePerS === rate);
    const baselines = at.filter((r) => r.policy === "round-robin" || r.policy === "least-loaded");
    const best = baselines.length === 0 ? null : Math.max(...baselines.map((r) => r.goodput));
    const single = at.find((r) => r.policy === SINGLE);
    const lines = at.map((r) => [
      r.policy === SINGLE
        ? `single replica @ ${(rate / replicas).toFixed(2)}/s`
        : `${r.policy} x${r.replicas}`,
      r.goodput.toFixed(2),
      r.policy === SINGLE || best === null || best === 0 ? "-" : `${(r.goodput / best).toFixed(2)}x`,
      pct(r.sloAttainment),
      r.ttftMs.p50 === null ? "-" : r.ttftMs.p50.toFixed(0),
      r.ttftMs.p99 === null ? "-" : r.ttftMs.p99.toFixed(0),
      pct(r.prefixHitRate),
      r.policy === SINGLE || single === undefined
        ? "-"
        : `${((r.prefixHitRate - single.prefixHitRate) * 100).toFixed(1)}`,
      r.callsPerReplica.join("/"),
    ]);
    out.push(
      `rate ${rate}/s over ${replicas} replicas\n${renderTable(
        [
          "placement",
          "goodput/s",
          "vs best baseline",
          "SLO %",
          "TTFT p50",
          "p99",
          "prefix hit",
          "vs single (pts)",
          "calls per replica",
        ],
        lines,
      )}`,
    );
  }
  return `${out.join("\n\n")}\n`;
}
