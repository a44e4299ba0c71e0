/**
 * A live sweep: every policy over the identical runs and arrivals at each rate, one after the other, each
 * against a fresh simulator (or the remote server, drained: every run of the previous point has ended).
 * With `repeat` K > 1 each point runs K times with seeds `seed, seed + 1, ...` and is reported as the mean
 * with its spread.
 */

import { sortedTtftMs } from "../../metrics/index.js";
import type { Timeline } from "../../report/schema.js";
import { loadWorkload } from "../../workload/load.js";
import type { GeneratedWorkload } from "../../workload/types.js";
import { type BenchReport, type BenchResultRow, resultRow, ttftCdf } from "../results.js";
import { fileRate } from "../virtual/sweep.js";
import { aggregateRows } from "./aggregate.js";
import { type LiveRunOptions, runLive } from "./driver.js";
import { compressWorkloadTime } from "./engine-backend.js";
import type { LoadReport } from "./lag.js";
import { type LivePolicy, parseLiveOptions } from "./options.js";
import { compareRepeats, type PairedComparison } from "./repeat-compare.js";

export interface LiveSweepOptions extends Omit<LiveRunOptions, "workload" | "policy" | "onRunEnded"> {
  /** A workload file path, or its parsed JSON. */
  workload: string | object;
  policies: readonly LivePolicy[];
  /** Arrival rates, runs/s; the file's own rate when absent. */
  rates?: readonly number[];
  /** Overrides the file's seed (the first repeat's). */
  seed?: number;
  /** Runs of each point, with seeds seed, seed + 1, ... Integer >= 1. @default 1 */
  repeat?: number;
  /**
   * Stop each point once every run still open is past its own SLO deadline (`stopWhenSloDecided`): they can
   * only miss, so goodput and attainment are unchanged and the backlog's drain is not waited for.
   * @default false
   */
  stopWhenSloDecided?: boolean;
  /** Called as runs end: (runs ended since last call, label). */
  onProgress?: (delta: number, label: string) => void;
  /** Called once the workloads are generated, with the total number of runs to play. */
  onTotal?: (runs: number) => void;
  /** Called after each point with how loaded the process was (warn when `load.cpuBound`). */
  onPoint?: (point: {
    policy: LivePolicy;
    ratePerS: number;
    repeat: number;
    load: LoadReport;
    wallMs: number;
  }) => void;
}

/** The live report: the bench's JSON, plus how the process coped. */
export type LiveBenchReport = BenchReport & {
  live: {
    timeScale: number;
    /** Per point (policy, rate, repeat): p99 event-loop delay (unscaled ms) and CPU cores used. */
    load: Array<{
      policy: string;
      ratePerS: number;
      repeat: number;
      lagP99Ms: number;
      cpuCores: number;
      cpuBound: boolean;
    }>;
    /**
     * With `repeat` >= 2: per rate, each policy against the first (plain when present), paired by repeat, with
     * the mean ratio and difference and their 95% t intervals over the repeats (`compareRepeats`).
     */
    comparisons?: PairedComparison[];
  };
};

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Runs the live sweep and returns the report (validates against `BenchResultsSchema`). */
export async function runLiveSweep(options: LiveSweepOptions): Promise<LiveBenchReport> {
  const {
    workload: source,
    policies,
    rates,
    seed,
    repeat = 1,
    stopWhenSloDecided = false,
    onProgress,
    onTotal,
    onPoint,
    ...rest
  } = options;
  if (!(Number.isInteger(repeat) && repeat >= 1))
    throw new RangeError(`Expected repeat to be an integer >= 1, got ${repeat}`);
  // Validate once up front, so a bad option fails before any server starts.
  const resolved = parseLiveOptions({ ...rest, policy: policies[0] ?? "plain" });
  // A workload scaled in time (timeFactor F): generated at rate x F over the file's window, then compressed
  // by F, so it arrives at `rate` over F x the window.
  const factor = resolved.timeFactor;
  const generate = (opts: { seed?: number; ratePerS?: number }) =>
    compressWorkloadTime(
      loadWorkload(
        source,
        opts.ratePerS === undefined ? opts : { ...opts, ratePerS: opts.ratePerS * factor },
      ),
      factor,
    );
  const points: Array<{ rate: number; workloads: GeneratedWorkload[] }> = (rates ?? [undefined]).map(
    (rate) => {
      const workloads = Array.from({ length: repeat }, (_, k) => {
        const base = generate(rate === undefined ? {} : { ratePerS: rate });
        return k === 0 && seed === undefined
          ? base
          : generate({
              seed: (seed ?? base.seed) + k,
              ...(rate === undefined ? {} : { ratePerS: rate }),
            });
      });
      const first = workloads[0] as GeneratedWorkload;
      return { rate: rate ?? fileRate(first), workloads };
    },
  );
  onTotal?.(
    points.reduce((sum, p) => sum + p.workloads.reduce((s, w) => s + w.runs.length, 0), 0) * policies.length,
  );

  const date = new Date().toISOString();
  const results: BenchResultRow[] = [];
  const timelines: Timeline[] = [];
  const load: LiveBenchReport["live"]["load"] = [];
  const comparisons: PairedComparison[] = [];
  const baseline = policies.includes("plain") ? "plain" : policies[0];
  for (const { rate, workloads } of points) {
    const rows = new Map<LivePolicy, BenchResultRow[]>();
    const ttfts = new Map<LivePolicy, number[]>();
    for (const [k, workload] of workloads.entries()) {
      for (const policy of policies) {
        const label = `${policy} @ ${rate}/s${repeat > 1 ? ` (${k + 1}/${repeat})` : ""}`;
        let reported = 0;
        const result = await runLive({
          ...rest,
          ...(stopWhenSloDecided ? { stopWhenSloDecided: true } : {}),
          workload,
          policy,
          onRunEnded: (ended) => {
            onProgress?.(ended - reported, label);
            reported = ended;
          },
        });
        onProgress?.(workload.runs.length - reported, label);
        const sorted = sortedTtftMs(result.records);
        const row = resultRow(policy, rate, result.summary, sorted);
        row.server = { ...result.server };
        rows.set(policy, [...(rows.get(policy) ?? []), row]);
        ttfts.set(policy, [...(ttfts.get(policy) ?? []), ...sorted]);
        if (k === 0 && result.timeline.length > 0)
          timelines.push({ policy, ratePerS: rate, points: result.timeline });
        load.push({ policy, ratePerS: rate, repeat: k, ...pick(result.load) });
        onPoint?.({ policy, ratePerS: rate, repeat: k, load: result.load, wallMs: result.wallMs });
      }
    }
    for (const policy of policies) {
      const pooled = (ttfts.get(policy) ?? []).sort((a, b) => a - b);
      results.push(aggregateRows(rows.get(policy) ?? [], pooled.length > 0 ? ttftCdf(pooled) : undefined));
    }
    if (baseline !== undefined) comparisons.push(...compareRepeats(rate, rows, baseline));
  }
  const first = points[0]?.workloads[0];
  return {
    workload: first?.name ?? "workload",
    mode: "live",
    ...(resolved.backend === "sim" ? { profile: resolved.profile } : {}),
    setup: {
      date,
      backend: resolved.backend,
      policies: [...policies],
      rates: points.map((p) => p.rate),
      ...(first ? { seed: first.seed, slo: first.slo } : {}),
      ...(repeat > 1 ? { repeat } : {}),
    },
    results,
    ...(timelines.length > 0 ? { timelines } : {}),
    live: {
      timeScale: resolved.timeScale,
      load,
      ...(comparisons.length > 0 ? { comparisons } : {}),
    },
  };
}

function pick(l: LoadReport) {
  return { lagP99Ms: round2(l.lagP99Ms), cpuCores: round2(l.cpuCores), cpuBound: l.cpuBound };
}
