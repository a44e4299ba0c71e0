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

/** Tokens one request got in one engine step. */
export interface StepEmission {
  id: string;
  /** Output tokens produced in this step (0 while a prompt is still being prefilled in chunks). */
  tokens: number;
  /** True on the step that produced the request's first output token. */
  first: boolean;
  /** True when the request has produced all of its tokens and left the engine. */
  finished: boolean;
}

/** The result of one engine iteration. */
export interface StepOutcome {
  /** Modelled GPU time of the step, in ms (from the profile's cost model). */
  durationMs: number;
  prefillTokens: number;
  decodeSequences: number;
  /** Sequences that took part in the step. */
  batchSize: number;
  emitted: StepEmission[];
  /** Ids preempted (by recompute) during this step. */
  preempted: string[];
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
  promptTokensTotal: number;
}

/** What the simulated model follows for one conversation (a run of a workload). */
export interface ScriptedToolCall {
  name: string;
  /** Arguments valid against the tool's JSON schema. */
  arguments: Record<string, unknown>;
}

export interface ScriptedRound {
  /** Tokens the model emits in the call that ends with these tool calls. */
  outputTokens: number;
  toolCalls: ScriptedToolCall[];
}

export interface ConversationScript {
  /** The conversation's first user message: how the simulator recognises the run. */
  firstUserMessage: string;
  /** Rounds that end in tool calls, in order. */
  rounds: ScriptedRound[];
  /** Tokens of the final answer. */
  finalOutputTokens: number;
}
