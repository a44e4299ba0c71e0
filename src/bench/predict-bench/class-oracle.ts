/**
 * A yardstick between the constant baseline and the oracle: a predictor that knows, for every run, its
 * class's true distribution of tool rounds and its class's mean tokens, measured over the whole workload
 * (train and test runs alike), but nothing about the run itself. It reads hidden scripts, so it exists for
 * evaluation only: it says how much of the oracle's ranking is reachable from class-level knowledge, which is
 * all that prompts which are noisy hints leave to learn.
 */
import type { PredictionContext, Predictor, RunPrediction } from "../../predict/types.js";
import type { GeneratedRun } from "../../workload/types.js";

interface ClassTruth {
  rounds: number[];
  tokensPerCall: number;
  finalTokens: number;
  callsPerRound: number;
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

export class ClassOraclePredictor implements Predictor {
  readonly #byPrompt = new Map<string, ClassTruth>();

  /** @param runs every run of the workload (the truths are measured over all of them). */
  constructor(runs: readonly GeneratedRun[]) {
    const byClass = new Map<string, GeneratedRun[]>();
    for (const run of runs) {
      const list = byClass.get(run.className) ?? [];
      list.push(run);
      byClass.set(run.className, list);
    }
    for (const list of byClass.values()) {
      const rounds = list.flatMap((r) => r.script.rounds);
      const truth: ClassTruth = {
        rounds: list.map((r) => r.script.rounds.length),
        tokensPerCall: mean(rounds.map((r) => r.outputTokens)),
        finalTokens: mean(list.map((r) => r.script.finalOutputTokens)),
        callsPerRound: mean(rounds.map((r) => r.calls.length)) || 1,
      };
      for (const run of list) this.#byPrompt.set(run.userPrompt, truth);
    }
  }

  /** E[R - k | R >= k] over the class's runs, and the class's mean tokens. */
  predict(context: PredictionContext): RunPrediction {
    const truth = this.#byPrompt.get(context.userPrompt);
    const k = context.toolRoundsDone;
    const rest = (truth?.rounds ?? []).filter((r) => r >= k).map((r) => r - k);
    return {
      remainingToolRounds: rest.length === 0 ? 1 : mean(rest),
      toolCallsPerRound: truth?.callsPerRound ?? 1,
      outputTokensPerCall: truth?.tokensPerCall ?? 0,
      finalOutputTokens: truth?.finalTokens ?? 0,
      toolLatencyMs: 0,
    };
  }

  learnRun(): void {}

  learnToolLatency(): void {}
}
