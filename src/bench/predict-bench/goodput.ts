/**
 * Goodput of `augserve` with a predictor, relative to `augserve-oracle`, through the virtual-time benchmark
 * (src/ab/virtual). Every policy sees the identical runs on a fresh simulated server; each predictor
 * starts cold and learns online from the runs that finish (as in a deployment), so this measures what the
 * predictor's quality is worth to the scheduler, not the offline scores of evaluate.ts.
 */

import { runVirtual } from "../../ab/virtual/index.js";
import { MeanBaselinePredictor } from "../../predict/mean-baseline.js";
import { createPredictor } from "../../predict/predictor.js";
import type { GeneratedWorkload } from "../../workload/types.js";

/**
 * High-load arrival rate per workload, runs/s: twice `plain`'s sustainable rate (the highest rate with >= 90%
 * SLO attainment over the file's 300-s window), the "high-load rate" of issue 4's targets. Measured on branch
 * feat/workloads (the regenerated workloads, and the virtual bench rendering prompts as the simulator's server
 * does: docs/accounting.md) with `augserve bench --mode virtual --policies plain --rates 12,16,20,24`:
 * - infercept-mix: plain sustains 16 runs/s (100% at 16, 64.6% at 20), so 32. (It sustained 24 before the
 *   virtual bench's prompts carried the replies' tool-call JSON and template turns: 99.4% at 24 then.)
 * - heldout-infercept-trace(-bursty) (the InferCept trace files): plain sustains 20 runs/s (100% at 20, 64.5% at
 *   24, measured on the Poisson file), so 40.
 * - infercept-mix-bursty, toolbench-like: no sustainable rate measured; 32, the mix's figure (not necessarily
 *   twice their own: toolbench-like is far past saturation there).
 * - bfcl-agents (the real-prompt workload, issue 19): plain meets the SLO for 100% of runs up to 28 runs/s, the
 *   top of `npm run bench:overload`'s search (measured on branch i19-predictor), so 56 (a lower bound of 2 S).
 */
export const HIGH_LOAD_RATES: Readonly<Record<string, number>> = {
  "infercept-mix": 32,
  "infercept-mix-bursty": 32,
  "heldout-infercept-trace": 40,
  "heldout-infercept-trace-bursty": 40,
  "toolbench-like": 32,
  "bfcl-agents": 56,
};

/** The rate used for a workload without an entry in {@link HIGH_LOAD_RATES}, runs/s. */
export const DEFAULT_HIGH_LOAD_RATE = 32;

/** Rate of {@link HIGH_LOAD_RATES} for a workload name, else {@link DEFAULT_HIGH_LOAD_RATE}. */
export function highLoadRate(workloadName: string): number {
  return HIGH_LOAD_RATES[workloadName] ?? DEFAULT_HIGH_LOAD_RATE;
}

/**
 * The first `windowMs` of a workload's arrivals (runs arriving before it; goodput is per second of it).
 * Returns the workload itself when its window is no longer.
 */
export function truncateWindow(workload: GeneratedWorkload, windowMs: number): GeneratedWorkload {
  if (!(windowMs > 0)) throw new RangeError(`Expected a window > 0 ms, got ${windowMs}`);
  if (windowMs >= workload.durationMs) return workload;
  return {
    ...workload,
    durationMs: windowMs,
    runs: workload.runs.filter((r) => r.arrivalMs < windowMs),
  };
}

export interface GoodputComparison {
  /** Runs in the (truncated) window. */
  runs: number;
  /** `augserve` goodput with `createPredictor()`, runs/s. */
  predictor: number;
  /** `augserve` goodput with `MeanBaselinePredictor`, runs/s. */
  baseline: number;
  /** `augserve-oracle` goodput, runs/s. */
  oracle: number;
  /** predictor / oracle; NaN when the oracle's goodput is 0. */
  predictorVsOracle: number;
  /** baseline / oracle; NaN when the oracle's goodput is 0. */
  baselineVsOracle: number;
}

/**
 * Runs `augserve` (online predictor), `augserve` (mean baseline) and `augserve-oracle` on `workload`,
 * side by side, and compares their goodput. `profile` defaults to `runVirtual`'s.
 */
export function compareGoodput(
  workload: GeneratedWorkload,
  options: { profile?: string; onPolicyDone?: (label: string) => void } = {},
): GoodputComparison {
  const common = options.profile === undefined ? {} : { profile: options.profile };
  const goodput = (label: string, run: () => number) => {
    const value = run();
    options.onPolicyDone?.(label);
    return value;
  };
  const predictor = goodput(
    "augserve (online predictor)",
    () =>
      runVirtual({ workload, policy: "augserve", predictor: () => createPredictor(), ...common }).summary
        .goodput,
  );
  const baseline = goodput(
    "augserve (mean baseline)",
    () =>
      runVirtual({ workload, policy: "augserve", predictor: () => new MeanBaselinePredictor(), ...common })
        .summary.goodput,
  );
  const oracle = goodput(
    "augserve-oracle",
    () => runVirtual({ workload, policy: "augserve-oracle", ...common }).summary.goodput,
  );
  const ratio = (x: number) => (oracle > 0 ? x / oracle : Number.NaN);
  return {
    runs: workload.runs.length,
    predictor,
    baseline,
    oracle,
    predictorVsOracle: ratio(predictor),
    baselineVsOracle: ratio(baseline),
  };
}
