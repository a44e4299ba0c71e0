/**
 * A sweep: every policy over the identical runs at each rate (a fresh engine, scheduler and predictor each).
 */
import { readFileSync } from "node:fs";
import { runTtftMs } from "../../metrics/index.js";
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
function fileRate(workload: GeneratedWorkload): number {
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

/** Runs the sweep and returns the report. */
export function runSweep(options: SweepOptions): BenchReport {
  const { workload: file, policies, rates, seed, durationS, onProgress, onTotal, ...rest } = options;
  const source = durationS === undefined ? file : withDuration(file, durationS);
  const points: Array<{ rate: number; workload: GeneratedWorkload }> = (rates ?? [undefined]).map((rate) => {
    const workload = loadWorkload(source, {
      ...(seed === undefined ? {} : { seed }),
      ...(rate === undefined ? {} : { ratePerS: rate }),
    });
    return { rate: rate ?? fileRate(workload), workload };
  });
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
      const ttfts = result.records
        .map(runTtftMs)
        .filter((t): t is number => t !== null)
        .sort((a, b) => a - b);
      results.push(resultRow(policy, rate, result.summary, ttfts, workload.durationMs));
      if (result.timeline.length > 0) timelines.push({ policy, ratePerS: rate, points: result.timeline });
    }
  }
  const first = points[0]?.workload;
  return {
    workload: first?.name ?? "workload",
    mode: "virtual",
    profile: rest.profile ?? "llama3-8b-h100",
    setup: {
      date,
      policies: [...policies],
      rates: points.map((p) => p.rate),
      ...(first ? { seed: first.seed, slo: first.slo } : {}),
    },
    results,
    ...(timelines.length > 0 ? { timelines } : {}),
  };
}
