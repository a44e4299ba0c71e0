/**
 * `augserve bench --mode live`: the same flags and JSON as the virtual mode, plus `--backend`,
 * `--server-metrics`, `--time-scale`, `--model` and `--repeat` (see docs/live.md).
 */
import type { SchedulerOptions } from "../../scheduler/options.js";
import { writeBenchOutputs } from "../output.js";
import { sweepProgress } from "../progress.js";
import { renderReport } from "../table.js";
import { virtualOnEngineProfile } from "./engine-compare.js";
import type { LoadReport } from "./lag.js";
import { DEFAULT_TIME_SCALE, LIVE_POLICIES, LiveOptionsError, type LivePolicy } from "./options.js";
import { renderComparisons } from "./repeat-compare.js";
import { type LiveBenchReport, runLiveSweep } from "./sweep.js";

/** The same A/B in virtual time on the engine-fitted profile (the generated small llama), beside the live one. */
function engineComparison(flags: LiveBenchFlags, report: LiveBenchReport, timeFactor: number): string {
  const virtual = virtualOnEngineProfile({
    workload: flags.workload,
    policies: flags.policies as LivePolicy[],
    rates: report.setup?.rates ?? [],
    timeFactor,
    ...(flags.simThread === true ? { simThread: true } : {}),
    parallel: flags.engineParallel ?? 4,
    contextSize: 4096,
    ...(flags.seed === undefined ? {} : { seed: flags.seed }),
  });
  return (
    "\nThe same runs in virtual time on the engine-fitted profile (augserve-small-cpu1, docs/engine.md):\n\n" +
    `${renderReport(virtual)}\n`
  );
}

/** What live mode reads of the bench's validated flags. */
export interface LiveBenchFlags {
  workload: string;
  policies: readonly string[];
  rates?: readonly number[] | undefined;
  profile: string;
  window: number;
  seed?: number | undefined;
  json?: string | undefined;
  html?: string | undefined;
  quiet: boolean;
  backend: string;
  serverMetrics?: string | undefined;
  timeScale?: number | undefined;
  model: string;
  repeat: number;
  schedulerOptions?: Record<string, unknown> | undefined;
  engineModel?: string | undefined;
  engineParallel?: number | undefined;
  timeFactor?: number | undefined;
  /** `--sim-thread`: the simulator in a worker thread. */
  simThread?: boolean | undefined;
  /** `--backend gateway`: the replicas behind it (`--replicas`) and its placement (the first `--placement`). */
  replicas?: number | undefined;
  placement?: readonly ("augserve" | "least-loaded" | "round-robin")[] | undefined;
}

/** `--backend engine`'s default time factor: infercept-mix's ~40-s tool phases become ~4 s. */
export const DEFAULT_ENGINE_TIME_FACTOR = 0.1;

/** The warning printed when a point was CPU-bound. */
export function lagWarning(
  point: { policy: string; ratePerS: number; load: LoadReport },
  timeScale: number,
): string {
  const l = point.load;
  return (
    `warning: ${point.policy} @ ${point.ratePerS}/s was CPU-bound: event-loop p99 delay ${l.lagP99WallMs.toFixed(0)} ms ` +
    `(x${timeScale} = ${l.lagP99Ms.toFixed(0)} ms unscaled), ${l.cpuCores.toFixed(2)} cores used; live latencies are ` +
    "inflated by it. Lower --time-scale or the rate, or use a quieter machine.\n"
  );
}

/** Runs the live benchmark for validated flags; returns the text for standard output. */
export async function runLiveBench(flags: LiveBenchFlags): Promise<string> {
  const unsupported = flags.policies.filter((p) => !(LIVE_POLICIES as readonly string[]).includes(p));
  if (unsupported.length > 0)
    throw new LiveOptionsError(
      `--mode live runs ${LIVE_POLICIES.join(", ")}; got ${unsupported.join(", ")} (the oracle needs the hidden script, which no agent has)`,
    );
  const progress = sweepProgress({ quiet: flags.quiet });
  const warnings: string[] = [];
  const simulated = flags.backend === "sim" || flags.backend === "gateway";
  const timeScale = flags.timeScale ?? (simulated ? DEFAULT_TIME_SCALE : 1);
  const engine = flags.backend === "engine";
  const timeFactor = flags.timeFactor ?? (engine ? DEFAULT_ENGINE_TIME_FACTOR : 1);
  const report: LiveBenchReport = await runLiveSweep({
    workload: flags.workload,
    policies: flags.policies as LivePolicy[],
    ...(flags.rates === undefined ? {} : { rates: flags.rates }),
    ...(flags.seed === undefined ? {} : { seed: flags.seed }),
    repeat: flags.repeat,
    backend: flags.backend,
    ...(flags.serverMetrics === undefined ? {} : { serverMetricsUrl: flags.serverMetrics }),
    ...(flags.timeScale === undefined ? {} : { timeScale: flags.timeScale }),
    model: flags.model,
    ...(flags.replicas === undefined ? {} : { gatewayReplicas: flags.replicas }),
    ...(flags.placement?.[0] === undefined ? {} : { gatewayPlacement: flags.placement[0] }),
    profile: flags.profile,
    timeFactor,
    ...(flags.engineModel === undefined ? {} : { engineModel: flags.engineModel }),
    ...(flags.engineParallel === undefined ? {} : { engineParallel: flags.engineParallel }),
    window: flags.window,
    ...(flags.schedulerOptions === undefined
      ? {}
      : { schedulerOptions: flags.schedulerOptions as SchedulerOptions }),
    ...progress.hooks,
    onPoint: (point) => {
      if (point.load.cpuBound) warnings.push(lagWarning(point, timeScale));
    },
  }).finally(() => progress.stop());
  const where =
    flags.backend === "sim"
      ? `backend sim (profile ${flags.profile})`
      : engine
        ? `backend engine (llama.cpp, ${flags.engineModel ?? "generated small llama"}, ${flags.engineParallel ?? 4} parallel)`
        : flags.backend === "gateway"
          ? `backend gateway over ${flags.replicas ?? 2} sim replicas (profile ${flags.profile}, placement ${flags.placement?.[0] ?? "augserve"})`
          : `backend ${flags.backend}`;
  const scaled = timeFactor === 1 ? "" : `, arrivals and tool latencies x ${timeFactor}`;
  const text =
    `workload ${report.workload}, mode live, ${where}, time scale ${report.live.timeScale}${scaled} ` +
    `(durations in unscaled ms)${flags.repeat > 1 ? `, mean of ${flags.repeat} repeats` : ""}\n\n` +
    `${renderReport(report.results)}\n${renderComparisons(report.live.comparisons ?? [])}${warnings.join("")}` +
    (engine && flags.engineModel === undefined ? engineComparison(flags, report, timeFactor) : "");
  return writeBenchOutputs(report, text, flags);
}
