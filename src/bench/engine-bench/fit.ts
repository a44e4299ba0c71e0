/**
 * Fits the simulator's cost model to a measured engine curve: minimises the sum of squared log-ratios
 * (simulated / measured) of TTFT, per-sequence and aggregate tokens/s over the points, by coordinate descent
 * in log space over `c0` (per step), `cPrefill` (per prompt token), `cSeq` (per decoding sequence) and
 * `cCtx` (per context token attended by a decoding sequence). `kToken` and `cAttn` stay 0: on one CPU core
 * every token costs the same matrix work whether batched or not (no memory-bound floor to amortise), so
 * the step is linear in its tokens.
 */
import type { CostModel } from "../../sim/engine/cost-model.js";
import type { CurvePoint } from "./curve.js";
import { simulateCurvePoint } from "./simulate.js";

export interface FitInput {
  points: readonly CurvePoint[];
  promptTokens: number;
  outputTokens: number;
}

/** Relative errors (simulated / measured - 1) of each figure of each point. */
export function curveErrors(
  cost: CostModel,
  input: FitInput,
): { point: CurvePoint; simulated: CurvePoint }[] {
  return input.points.map((point) => ({
    point,
    simulated: simulateCurvePoint(cost, 0, point.concurrency, input.promptTokens, input.outputTokens),
  }));
}

function loss(cost: CostModel, input: FitInput): number {
  let sum = 0;
  for (const { point, simulated } of curveErrors(cost, input)) {
    sum += Math.log(simulated.ttftMs / point.ttftMs) ** 2;
    sum += Math.log(simulated.perSequenceTokensPerS / point.perSequenceTokensPerS) ** 2;
    sum += Math.log(simulated.aggregateTokensPerS / point.aggregateTokensPerS) ** 2;
  }
  return sum;
}

const FITTED = ["c0", "cPrefill", "cSeq", "cCtx"] as const;

export function fitCostModel(input: FitInput): CostModel {
  const one = input.points.find((p) => p.concurrency === 1) ?? input.points[0];
  if (one === undefined) throw new RangeError("Expected at least one curve point, got none");
  const itl = 1000 / one.perSequenceTokensPerS;
  // Start: half the single-sequence step fixed, half per sequence; prefill from the single TTFT.
  let best: CostModel = {
    c0: itl / 2,
    kToken: 0,
    cPrefill: one.ttftMs / input.promptTokens,
    cSeq: itl / 2,
    cCtx: itl / 1000 / (input.promptTokens + input.outputTokens),
    cAttn: 0,
  };
  let bestLoss = loss(best, input);
  for (let step = 1; step > 0.002; step /= 2) {
    let improved = true;
    while (improved) {
      improved = false;
      for (const key of FITTED) {
        for (const factor of [Math.exp(step), Math.exp(-step)]) {
          const trial = { ...best, [key]: best[key] * factor };
          const l = loss(trial, input);
          if (l < bestLoss) {
            best = trial;
            bestLoss = l;
            improved = true;
          }
        }
      }
    }
  }
  return best;
}
