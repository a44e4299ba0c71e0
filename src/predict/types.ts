/**
 * Public types of Stage I prediction (DESIGN.md section 4, issue "Stage I prediction").
 * A predictor sees only what a deployment sees: prompts, bound tools' schemas, and the history of earlier runs.
 */

/** A tool as bound to an agent: the OpenAI function-tool fields. */
export interface ToolSchema {
  name: string;
  description?: string;
  /** JSON schema of the arguments. */
  parameters?: unknown;
}

/** What a predictor is shown about a run, at its start and again before each later call. */
export interface PredictionContext {
  systemPrompt: string;
  /** The user's message(s) of the run, joined. */
  userPrompt: string;
  tools: ToolSchema[];
  /** Tool rounds the run has completed so far (0 at the start). */
  toolRoundsDone: number;
  /** Prompt tokens of the run's first call, if known. */
  promptTokens?: number;
}

/** A prediction of the rest of a run. All fields are finite and >= 0. */
export interface RunPrediction {
  remainingToolRounds: number;
  toolCallsPerRound: number;
  /** Output tokens of the next intermediate call (one that ends in tool calls). */
  outputTokensPerCall: number;
  finalOutputTokens: number;
  /** Expected duration of one tool phase, ms. */
  toolLatencyMs: number;
  /**
   * Probability that the run makes at least one tool call, in [0, 1] (0 without bound tools). Optional:
   * predictors that do not decide it leave it out.
   */
  toolCallProbability?: number;
}

/** The truth about a finished run, taught to the predictor. */
export interface RunObservation {
  toolRounds: number;
  toolCallsPerRound: number;
  /** Output tokens of each intermediate call. */
  outputTokensPerCall: number[];
  finalOutputTokens: number;
}

/** The contract the scheduler's Stage I features come from; users can plug in their own. */
export interface Predictor {
  predict(context: PredictionContext): RunPrediction;
  /** Teach the true counts of a finished run (context as at the run's start). */
  learnRun(context: PredictionContext, observation: RunObservation): void;
  /** Teach one tool call's measured latency. */
  learnToolLatency(tool: string, latencyMs: number): void;
}
