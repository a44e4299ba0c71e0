/**
 * A sweep: every policy over the identical runs at each rate (a fresh engine, scheduler and predictor each).
 */
import { readFileSync } from "node:fs";
import { sortedTtftMs } from "../../metrics/index.js";
import { WorkloadFileError } from "../../workload/errors.js";
import { loadWorkload } from "../../workload/load.js";
import type { GeneratedWorkload } from "../../workload/types.js";
import { type BenchReport, type BenchResultRow, resultRow } from "../results.js";
import { runVirtual } from "./driver.js";
import type { BenchPolicy, VirtualRunOptions } from "./options.js";

export interface SweepOptions extends Omit<VirtualRunOptions, "workload" | "policy" | "onRunEnded"> {
  /** A workload file path, or its parsed JSON. */
  workload: string | object;
  policies: readonly BenchPolicy[];
  /** Arrival rates, runs/s; the file's own rate when absent. */
  rates?: readonly number[];
  /** Overrides the file's seed. */
  seed?: number;
  /** Overrides the file's arrival window, s (a sustained overload lasts as long as the window). */
  durationS?: number;
  /** Called as runs end: (runs ended since last call, label). */
  onProgress?: (delta: number, label: string) => void;
  /** Called once the workloads are generated, with the total number of runs to simulate. */
  onTotal?: (runs: number) => void;
}

/** The mean arrival rate of a generated workload, runs/s (the file's rate when no `--rates` is given). */
export function observedRate(workload: GeneratedWorkload): number {
  return workload.runs.length / (workload.durationMs / 1000);
}

/** The rate a file's runs arrive at without `--rates`: its process's rate, shown to 2 decimals. */
export function fileRate(workload: GeneratedWorkload): number {
  return Math.round(observedRate(workload) * 100) / 100;
}

/**
 * The workload file with its arrival window replaced (`durationS`, which both synthetic files and traces with
 * an `arrival` process read); the file is validated as usual afterwards.
 */
export function withDuration(source: string | object, durationS: number): object {
  let json: unknown = source;
  if (typeof source === "string") {
    try {
      json = JSON.parse(readFileSync(source, "utf8"));
    } catch (error) {
      throw new WorkloadFileError(source, (error as Error).message, error);
    }
  }
  if (json === null || typeof json !== "object" || Array.isArray(json))
    throw new WorkloadFileError(String(source), `expected a JSON object, got ${JSON.stringify(json)}`);
  return { ...json, durationS };
}

/** The workload of one sweep point: the file's runs at `rate` (its own when absent), `seed` overriding its seed. */
export function loadPoint(
  source: string | object,
  seed: number | undefined,
  rate: number | undefined,
): GeneratedWorkload {
  return loadWorkload(source, {
    ...(seed === undefined ? {} : { seed }),
    ...(rate === undefined ? {} : { ratePerS: rate }),
  });
}

/** The points of a sweep: each rate with its workload; without `rates`, the file's own rate (2 decimals). */
export function sweepPoints(
  source: string | object,
  rates: readonly number[] | undefined,
  seed: number | undefined,
): Array<{ rate: number; workload: GeneratedWorkload }> {
  return (rates ?? [undefined]).map((rate) => {
    const workload = loadPoint(source, seed, rate);
    return { rate: rate ?? fileRate(workload), workload };
  });
}

/**
 * The head of a virtual-time sweep's report: the first point's workload names it and gives the seed and SLO;
 * the profile is the simulator's default when none was given.
 */
export function virtualReportHead(
  first: GeneratedWorkload | undefined,
  o: { profile: string | undefined; date: string; policies: readonly string[]; rates: number[] },
): Omit<BenchReport, "results"> {
  return {
    workload: first?.name ?? "workload",
    mode: "virtual",
    profile: o.profile ?? "llama3-8b-h100",
    setup: {
      date: o.date,
      policies: [...o.policies],
      rates: o.rates,
      ...(first ? { seed: first.seed, slo: first.slo } : {}),
    },
  };
}

/** Runs the sweep and returns the report. */
export function runSweep(options: SweepOptions): BenchReport {
  const { workload: file, policies, rates, seed, durationS, onProgress, onTotal, ...rest } = options;
  const source = durationS === undefined ? file : withDuration(file, durationS);
  const points = sweepPoints(source, rates, seed);
  onTotal?.(points.reduce((sum, p) => sum + p.workload.runs.length * policies.length, 0));
  const results: BenchResultRow[] = [];
  const timelines: NonNullable<BenchReport["timelines"]> = [];
  const date = new Date().toISOString();
  for (const { rate, workload } of points) {
    for (const policy of policies) {
      let reported = 0;
      const result = runVirtual({
        ...rest,
        workload,
        policy,
        onRunEnded: (ended) => {
          if (ended - reported >= 25 || ended === workload.runs.length) {
            onProgress?.(ended - reported, `${policy} @ ${rate}/s`);
            reported = ended;
          }
        },
      });
      onProgress?.(workload.runs.length - reported, `${policy} @ ${rate}/s`);
      const ttfts = sortedTtftMs(result.records);
      results.push(resultRow(policy, rate, result.summary, ttfts, workload.durationMs));
      if (result.timeline.length > 0) timelines.push({ policy, ratePerS: rate, points: result.timeline });
    }
  }
  return {
    ...virtualReportHead(points[0]?.workload, {
      profile: rest.profile,
      date,
      policies,
      rates: points.map((p) => p.rate),
    }),
    results,
    ...(timelines.length > 0 ? { timelines } : {}),
  };
}
