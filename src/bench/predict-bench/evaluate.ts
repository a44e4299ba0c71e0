/**
 * Offline evaluation of a predictor on generated runs: train online over the first part of the runs in
 * arrival order (each finished run and each of its tool calls is taught, as in a deployment), then
 * freeze and evaluate on the rest, before every call of every run (rounds done k = 0..R).
 *
 * Truth at round k of a run with R rounds: remaining rounds R - k, and remaining cost as defined by
 * `remainingCost` (src/predict/estimate.ts) with the script's true output and tool-result tokens. The
 * prediction's cost uses the same formula with the predicted rounds and tokens (tool results unknown: 0).
 */

import { firstCallSize } from "../../ab/virtual/tokens.js";
import { rawPromptTokens } from "../../accounting/conversation.js";
import { remainingCost } from "../../predict/estimate.js";
import type { PredictionContext, Predictor, RunObservation } from "../../predict/types.js";
import type { GeneratedRun } from "../../workload/types.js";
import { meanAbsoluteError, spearman } from "./stats.js";

export interface PredictorScores {
  /** MAE of total tool rounds, predicted at each run's start. */
  maeTotalRounds: number;
  /** MAE of remaining tool rounds, predicted before every call of every run. */
  maeRemainingRounds: number;
  /** Spearman correlation of predicted vs true remaining cost over the same points. */
  spearmanCost: number;
  /** Evaluation points (calls) and runs. */
  points: number;
  runs: number;
}

/**
 * What a predictor is shown before call `toolRoundsDone` of a run: as in the middleware and the virtual bench,
 * the prompts, the tools and the raw estimate of the first call's prompt tokens (not the simulator's count).
 */
export function contextOf(run: GeneratedRun, toolRoundsDone: number): PredictionContext {
  return {
    systemPrompt: run.systemPrompt,
    userPrompt: run.userPrompt,
    tools: run.tools,
    toolRoundsDone,
    promptTokens: rawPromptTokens(firstCallSize(run)),
  };
}

export function observationOf(run: GeneratedRun): RunObservation {
  const rounds = run.script.rounds;
  return {
    toolRounds: rounds.length,
    toolCallsPerRound:
      rounds.length === 0 ? 0 : rounds.reduce((sum, r) => sum + r.calls.length, 0) / rounds.length,
    outputTokensPerCall: rounds.map((r) => r.outputTokens),
    finalOutputTokens: run.script.finalOutputTokens,
  };
}

/** Teaches a finished run: its tool calls' latencies, then the run. */
export function teach(predictor: Predictor, run: GeneratedRun): void {
  for (const round of run.script.rounds)
    for (const call of round.calls) predictor.learnToolLatency(call.tool, call.latencyMs);
  predictor.learnRun(contextOf(run, 0), observationOf(run));
}

/** True remaining cost of `run` before its call number k, and the context tokens at that call. */
export function trueRemaining(run: GeneratedRun, k: number): { cost: number; context: number } {
  const rounds = run.script.rounds;
  let context = run.promptTokens;
  for (let i = 0; i < k; i++) {
    const round = rounds[i]!;
    context += round.outputTokens + round.calls.reduce((sum, c) => sum + c.resultTokens, 0);
  }
  const rest = rounds.slice(k);
  const cost = remainingCost(
    {
      rounds: rest.length,
      outputTokensPerCall: rest.map((r) => r.outputTokens),
      finalOutputTokens: run.script.finalOutputTokens,
      resultTokensPerRound: rest.map((r) => r.calls.reduce((sum, c) => sum + c.resultTokens, 0)),
    },
    context,
  );
  return { cost, context };
}

/** Runs sorted by arrival, split at `trainFraction`. */
export function splitRuns(runs: readonly GeneratedRun[], trainFraction: number) {
  const ordered = [...runs].sort((a, b) => a.arrivalMs - b.arrivalMs);
  const cut = Math.floor(ordered.length * trainFraction);
  return { train: ordered.slice(0, cut), test: ordered.slice(cut) };
}

/**
 * Scores a predictor (`null` = the oracle, which predicts the truth) on the test runs after teaching it
 * the train runs.
 */
export function evaluatePredictor(
  predictor: Predictor | null,
  train: readonly GeneratedRun[],
  test: readonly GeneratedRun[],
): PredictorScores {
  if (predictor !== null) for (const run of train) teach(predictor, run);
  const totalPredicted: number[] = [];
  const totalTrue: number[] = [];
  const remainingPredicted: number[] = [];
  const remainingTrue: number[] = [];
  const costPredicted: number[] = [];
  const costTrue: number[] = [];
  for (const run of test) {
    const rounds = run.script.rounds.length;
    for (let k = 0; k <= rounds; k++) {
      const truth = trueRemaining(run, k);
      let remaining = rounds - k;
      let cost = truth.cost;
      if (predictor !== null) {
        const p = predictor.predict(contextOf(run, k));
        remaining = p.remainingToolRounds;
        cost = remainingCost(
          {
            rounds: remaining,
            outputTokensPerCall: p.outputTokensPerCall,
            finalOutputTokens: p.finalOutputTokens,
          },
          truth.context,
        );
      }
      if (k === 0) {
        totalPredicted.push(remaining);
        totalTrue.push(rounds);
      }
      remainingPredicted.push(remaining);
      remainingTrue.push(rounds - k);
      costPredicted.push(cost);
      costTrue.push(truth.cost);
    }
  }
  return {
    maeTotalRounds: meanAbsoluteError(totalPredicted, totalTrue),
    maeRemainingRounds: meanAbsoluteError(remainingPredicted, remainingTrue),
    spearmanCost: spearman(costPredicted, costTrue),
    points: costTrue.length,
    runs: test.length,
  };
}
