/**
 * The benchmark's summary of one (policy, rate) point: DESIGN.md section 5, field for field the issue's
 * `--json` result.
 */
import { mean, percentileSorted } from "./percentile.js";
import type { RunRecord } from "./records.js";
import type { ServerSummary } from "./server.js";
import { meetsSlo, runE2eMs, runNormLatencyMs, runTtftMs, type Slo } from "./slo.js";

/** Summary statistics; latency fields are `null` when no run contributed a value. */
export interface RunSummary {
  runs: number;
  completed: number;
  /** Runs that had not ended, or ended in an error other than a refusal, when the measurement stopped. */
  unfinished: number;
  /** Runs that ended in an error, refusals excluded. */
  errors: number;
  /** Runs meeting their SLO / arrival window, runs/s. */
  goodput: number;
  /** Runs completed without error / arrival window, runs/s. */
  completedPerS: number;
  /** Share of runs meeting their SLO, 0..1 (unfinished and refused runs count as misses). */
  sloAttainment: number;
  /** Overload shedding: runs refused, how fast (arrival -> error, ms), and how the admitted runs fared. */
  refused: RefusalSummary;
  /** Run TTFT over runs that got a first token (refused runs never do; they are counted in `refused`). */
  ttftMs: { mean: number | null; p50: number | null; p90: number | null; p99: number | null };
  /** Run E2E over completed runs. */
  e2eMs: { p50: number | null; p99: number | null; max: number | null };
  normLatencyMs: { p50: number | null; p99: number | null };
  /** Per-call queue wait (ready -> first served by the server), over calls that started. */
  queueWaitMs: { p50: number | null; p99: number | null };
  server: ServerSummary;
}

/** Runs refused by overload shedding. */
export interface RefusalSummary {
  runs: number;
  /** Refusal latency: the refused run's arrival -> its error, ms. */
  latencyMs: { p50: number | null; p99: number | null; max: number | null };
  /** Share of the runs not refused that met their SLO, 0..1 (= sloAttainment when none was refused). */
  admittedAttainment: number;
}

export interface SummarizeOptions {
  /** The arrival window (goodput and completed/s are per second of it), ms. > 0. */
  windowMs: number;
  slo: Slo;
  server: ServerSummary;
}

function sorted(values: Array<number | null>): number[] {
  return values.filter((v): v is number => v !== null).sort((a, b) => a - b);
}

/** The TTFTs of the runs that had a first token, ascending (the summary's TTFT figures, a report's CDF). */
export function sortedTtftMs(records: readonly RunRecord[]): number[] {
  return sorted(records.map(runTtftMs));
}

/** Summarizes the records of one run of the benchmark. */
export function summarize(records: readonly RunRecord[], options: SummarizeOptions): RunSummary {
  if (!(options.windowMs > 0)) throw new RangeError(`Expected windowMs > 0, got ${options.windowMs}`);
  const windowS = options.windowMs / 1000;
  const completedRuns = records.filter((r) => r.endMs !== null && r.error === undefined);
  const refused = records.filter((r) => r.refused === true);
  const errors = records.filter((r) => r.error !== undefined).length - refused.length;
  const good = records.filter((r) => meetsSlo(r, options.slo)).length;
  const refusalMs = sorted(refused.map(runE2eMs));
  const admitted = records.length - refused.length;
  const ttft = sortedTtftMs(records);
  const e2e = sorted(completedRuns.map(runE2eMs));
  const norm = sorted(completedRuns.map(runNormLatencyMs));
  const waits = sorted(
    records.flatMap((r) => r.calls.map((c) => (c.startMs === null ? null : c.startMs - c.submitMs))),
  );
  return {
    runs: records.length,
    completed: completedRuns.length,
    unfinished: records.length - completedRuns.length - refused.length,
    errors,
    goodput: good / windowS,
    completedPerS: completedRuns.length / windowS,
    sloAttainment: records.length === 0 ? 0 : good / records.length,
    refused: {
      runs: refused.length,
      latencyMs: {
        p50: percentileSorted(refusalMs, 50),
        p99: percentileSorted(refusalMs, 99),
        max: refusalMs.at(-1) ?? null,
      },
      admittedAttainment: admitted === 0 ? 0 : good / admitted,
    },
    ttftMs: {
      mean: mean(ttft),
      p50: percentileSorted(ttft, 50),
      p90: percentileSorted(ttft, 90),
      p99: percentileSorted(ttft, 99),
    },
    e2eMs: { p50: percentileSorted(e2e, 50), p99: percentileSorted(e2e, 99), max: e2e.at(-1) ?? null },
    normLatencyMs: { p50: percentileSorted(norm, 50), p99: percentileSorted(norm, 99) },
    queueWaitMs: { p50: percentileSorted(waits, 50), p99: percentileSorted(waits, 99) },
    server: options.server,
  };
}
