/**
 * Public types of the embedded GPU-server simulator (DESIGN.md section 7).
 *
 * The simulator plays the GPU server, which knows nothing of AugServe: nothing here imports `scheduler/`.
 */

/** A request admitted to the engine. Token ids are simulated integers (see `tokenize`). */
export interface EngineRequest {
  /** Unique id (the completion id on the HTTP server). */
  id: string;
  /** The whole prompt as token ids; shared prefixes between requests are found in the prefix cache. */
  promptTokens: ArrayLike<number>;
  /** Number of tokens the request will generate (the scripted count, or max_tokens). >= 1. */
  maxTokens: number;
  /**
   * Token ids the simulated model will emit, if known, so that a follow-up request whose prompt contains
   * this output can hit the prefix cache. Optional: without it, output blocks get request-unique ids.
   */
  outputTokens?: ArrayLike<number>;
  /** vLLM-style priority: lower is served first (only under the `priority` scheduling policy). Default 0. */
  priority?: number;
}

/**
 * Tokens one request got in one engine step.
 *
 * The engine reuses emission objects (one per live request): read them before the next `step()` call.
 */
export interface StepEmission {
  id: string;
  /**
   * Output tokens produced in this step (0 while a prompt is still being prefilled in chunks).
   * Greater than 1 only in a fused outcome (`steps > 1`): one token per fused step.
   */
  tokens: number;
  /** True on the step that produced the request's first output token. */
  first: boolean;
  /** True when the request has produced all of its tokens and left the engine. */
  finished: boolean;
  /** Prompt tokens served from the prefix cache when the request was admitted (OpenAI's `cached_tokens`). */
  cachedTokens: number;
}

/**
 * The result of one engine iteration, or of `steps` fused decode iterations.
 *
 * The engine reuses the outcome object and its arrays: read them before the next `step()` call.
 *
 * Fused outcomes (`steps > 1`) are only returned when the caller allows them (`StepOptions.maxSteps > 1`) and
 * the batch cannot change during those steps: every running request is decoding, no waiting request could be
 * admitted, nobody is preempted, and nobody finishes before the last fused step. Each request then got
 * `tokens === steps` tokens, one at the end of each fused step. The fused steps' durations form an arithmetic
 * progression (context grows by one token per sequence per step): step j (0-based) lasts
 * `firstStepMs + j * d` with `d = 2 * (durationMs - steps * firstStepMs) / (steps * (steps - 1))`.
 */
export interface StepOutcome {
  /** Modelled GPU time of the step (all fused steps together), in ms (from the profile's cost model). */
  durationMs: number;
  /** Iterations this outcome covers: 1, or k > 1 for a fused decode-only outcome. */
  steps: number;
  /** Duration of the first (or only) iteration, ms. Equals `durationMs` when `steps === 1`. */
  firstStepMs: number;
  /** Prompt tokens computed in this step (prefill chunks, including recompute after preemption). */
  prefillTokens: number;
  /** Sequences that decoded one token (per fused step). */
  decodeSequences: number;
  /** Sequences that took part in the step. */
  batchSize: number;
  emitted: StepEmission[];
  /** Ids preempted (by recompute) during this step. */
  preempted: string[];
}

/** What the caller allows one `Engine.step()` call to do. */
export interface StepOptions {
  /**
   * Most iterations one call may fuse into a single outcome (decode-only stretches, see `StepOutcome`).
   * A wall-clock server keeps 1 (every token at its own time); a virtual-time driver may pass a large number.
   * @default 1
   */
  maxSteps?: number;
  /**
   * Fuse only while the fused outcome's total duration stays within this many ms (e.g. the time to the next
   * arrival in virtual time). One step is always taken, whatever its duration.
   * @default Infinity
   */
  maxDurationMs?: number;
}

/** The step-based engine contract (the HTTP server and the virtual-time benchmark drive it). */
export interface SimEngine {
  /** Queues a request. Throws `SimRequestError` when it can never fit (prompt + maxTokens over the model length). */
  add(request: EngineRequest): void;
  /** Drops a request wherever it is (waiting or running) and frees its KV blocks at once. False if unknown. */
  abort(id: string): boolean;
  /** Runs one iteration (or fused iterations); null when idle (nothing waiting or running). */
  step(options?: StepOptions): StepOutcome | null;
  stats(): EngineStats;
  /** True while a request is waiting or running. */
  readonly hasWork: boolean;
}

/** Counters and gauges of the engine, as vLLM exports them. */
export interface EngineStats {
  running: number;
  waiting: number;
  /** 0..1 share of KV blocks in use by running requests. */
  kvCacheUsage: number;
  preemptionsTotal: number;
  /** Prompt tokens looked up in the prefix cache, and those found (vLLM counts tokens). */
  prefixCacheQueriesTotal: number;
  prefixCacheHitsTotal: number;
  stepsTotal: number;
  /** Sum of step durations, ms. */
  busyMsTotal: number;
  generatedTokensTotal: number;
  /** Prompt tokens of the requests added (what `prompt_tokens` reports). */
  promptTokensTotal: number;
  /** Prompt tokens actually computed (prefill after prefix-cache hits, plus recompute after preemption). */
  prefillTokensTotal: number;
  /** Requests that finished (all tokens generated) and that were aborted. */
  finishedTotal: number;
  abortedTotal: number;
}

export type { ConversationScript, ScriptedRound, ScriptedToolCall } from "../script/types.js";
