import type { PredictionContext, Predictor, RunObservation, RunPrediction } from "./types.js";

/** Prior used before any run has been observed (rough InferCept-mix means: ~4.6 interceptions, ~100-token segments). */
const PRIOR: RunPrediction = {
  remainingToolRounds: 3,
  toolCallsPerRound: 1,
  outputTokensPerCall: 100,
  finalOutputTokens: 150,
  toolLatencyMs: 1000,
};

/**
 * The constant baseline: predicts the running mean of every finished run, whatever the prompt.
 * Remaining rounds are the mean total minus the rounds done (floored at 0). It is the yardstick the real
 * predictor must beat, and what the benchmark uses when no predictor is given.
 */
export class MeanBaselinePredictor implements Predictor {
  #runs = 0;
  #sum = { toolRounds: 0, toolCallsPerRound: 0, outputTokensPerCall: 0, finalOutputTokens: 0 };
  #toolCalls = 0;
  #toolLatencySum = 0;

  predict(context: PredictionContext): RunPrediction {
    const n = this.#runs;
    const mean = (sum: number, prior: number) => (n === 0 ? prior : sum / n);
    const totalRounds = mean(this.#sum.toolRounds, PRIOR.remainingToolRounds);
    return {
      remainingToolRounds: Math.max(
        0,
        totalRounds - (Number.isFinite(context.toolRoundsDone) ? context.toolRoundsDone : 0),
      ),
      toolCallsPerRound: mean(this.#sum.toolCallsPerRound, PRIOR.toolCallsPerRound),
      outputTokensPerCall: mean(this.#sum.outputTokensPerCall, PRIOR.outputTokensPerCall),
      finalOutputTokens: mean(this.#sum.finalOutputTokens, PRIOR.finalOutputTokens),
      toolLatencyMs: this.#toolCalls === 0 ? PRIOR.toolLatencyMs : this.#toolLatencySum / this.#toolCalls,
    };
  }

  learnRun(_context: PredictionContext, observation: RunObservation): void {
    // An observation with a non-finite or negative count is dropped whole: one bad report must not poison the means.
    const ok = (x: number) => Number.isFinite(x) && x >= 0 && x < 1e9;
    const calls = Array.isArray(observation.outputTokensPerCall) ? observation.outputTokensPerCall : [];
    if (!ok(observation.toolRounds) || !ok(observation.finalOutputTokens) || !calls.every(ok)) return;
    this.#runs += 1;
    this.#sum.toolRounds += observation.toolRounds;
    this.#sum.toolCallsPerRound += ok(observation.toolCallsPerRound) ? observation.toolCallsPerRound : 1;
    this.#sum.outputTokensPerCall +=
      calls.length === 0 ? PRIOR.outputTokensPerCall : calls.reduce((a, b) => a + b, 0) / calls.length;
    this.#sum.finalOutputTokens += observation.finalOutputTokens;
  }

  learnToolLatency(_tool: string, latencyMs: number): void {
    if (!Number.isFinite(latencyMs) || latencyMs < 0 || latencyMs > 1e9) return;
    this.#toolCalls += 1;
    this.#toolLatencySum += latencyMs;
  }
}
