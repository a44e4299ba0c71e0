/**
 * Per-call observation of a LangChain model call: a callback handler that sees the first token and each
 * streamed chunk, and helpers to add it (and an abort signal) to the call's options without disturbing the
 * caller's own callbacks, so streaming chunks and tool-call deltas reach every other handler untouched.
 */
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { CallbackManager } from "@langchain/core/callbacks/manager";
import type { BaseMessage } from "@langchain/core/messages";
import type { LLMResult } from "@langchain/core/outputs";
import type { RunnableConfig } from "@langchain/core/runnables";

/** What the observer reports to. */
export interface TokenSink {
  /** A streamed chunk arrived (the first one is the call's first token). */
  onChunk(): void;
}

/**
 * Counts streamed chunks of one call. Synchronous and awaited (`awaitHandlers`), so the first-token
 * time is taken when the chunk arrives, not when a background callback queue gets to it.
 */
export class CallObserver extends BaseCallbackHandler {
  override name = "augserve_call_observer";
  override awaitHandlers = true;
  /**
   * The message of the call's last generation: how a call whose result is not a message (a structured-output
   * runnable returns the parsed object) still reports its usage and finish reason.
   */
  lastMessage: BaseMessage | undefined;
  /** The `generationInfo` of that generation (where a streamed response keeps its finish reason). */
  lastGenerationInfo: Record<string, unknown> | undefined;
  readonly #sink: TokenSink;

  constructor(sink: TokenSink) {
    super();
    this.#sink = sink;
  }

  override handleLLMNewToken(
    token: string,
    _idx?: unknown,
    _runId?: string,
    _parentRunId?: string,
    _tags?: string[],
    fields?: { chunk?: unknown },
  ): void {
    // OpenAI-compatible servers open a stream with an empty role-only chunk; it carries no output, so it is
    // not the first token (counting it would hide server-side queueing from the scheduler's TTFT).
    if (token === "" && !hasToolCallChunk(fields?.chunk)) return;
    this.#sink.onChunk();
  }

  override handleLLMEnd(output: LLMResult): void {
    const generation = output.generations[0]?.[0] as
      | { message?: BaseMessage; generationInfo?: Record<string, unknown> }
      | undefined;
    if (generation?.message !== undefined) this.lastMessage = generation.message;
    this.lastGenerationInfo = generation?.generationInfo;
  }

  /** The content-block streaming protocol of @langchain/core 1.x emits deltas here instead. */
  override handleChatModelStreamEvent(event: { event?: string }): void {
    if (event.event === "content-block-delta") this.#sink.onChunk();
  }
}

function hasToolCallChunk(chunk: unknown): boolean {
  const message = (chunk as { message?: { tool_call_chunks?: unknown[] } } | undefined)?.message;
  return (message?.tool_call_chunks?.length ?? 0) > 0;
}

function prefersStreaming(handler: unknown): boolean {
  const h = handler as { lc_prefer_streaming?: boolean; lc_prefer_chat_model_stream_events?: boolean };
  return h.lc_prefer_streaming === true || h.lc_prefer_chat_model_stream_events === true;
}

/**
 * Whether a call with these options will stream: a callback handler asks for streaming (LangGraph's
 * `streamMode: "messages"`, `streamEvents`) or the model streams by itself (`streaming: true`).
 * Only then is the observer added: any handler switches LangChain's callback machinery on for the call
 * (run managers, serialised inputs), which costs more than everything else the middleware does, and
 * without streaming the first token arrives with the response anyway.
 */
export function willStream(options: RunnableConfig | undefined, model: unknown): boolean {
  if ((model as { streaming?: unknown }).streaming === true) return true;
  const callbacks = options?.callbacks;
  if (callbacks === undefined) return false;
  const handlers = Array.isArray(callbacks) ? callbacks : (callbacks as CallbackManager).handlers;
  return handlers.some(prefersStreaming);
}

/**
 * Returns call options with `observer` added to the callbacks and `signal` in place of their signal. The
 * caller guarantees that `signal` aborts when the options' own signal does (the call's signal follows its
 * caller's), which spares an `AbortSignal.any` per call.
 */
export function decorateOptions<T extends RunnableConfig>(
  options: T | undefined,
  observer: CallObserver | undefined,
  signal: AbortSignal | undefined,
): T {
  const base = (options ?? {}) as T;
  const callbacks = base.callbacks;
  let merged: RunnableConfig["callbacks"];
  if (observer === undefined) merged = callbacks;
  else if (callbacks === undefined) merged = [observer];
  else if (Array.isArray(callbacks)) merged = [...callbacks, observer];
  else if (callbacks instanceof CallbackManager) merged = callbacks.copy([observer], false);
  else merged = [observer];
  const mergedSignal = signal ?? base.signal;
  if (merged === callbacks && mergedSignal === base.signal) return base;
  return { ...base, callbacks: merged, signal: mergedSignal };
}

/** Token counts a model reported for one call, from `usage_metadata` (LangChain's normalised usage). */
export interface ReportedUsage {
  promptTokens?: number;
  outputTokens?: number;
  cachedPromptTokens?: number;
}

/** Reads the usage of a model response (`usage_metadata`, else OpenAI-style `response_metadata.usage`). */
export function readUsage(message: BaseMessage | undefined): ReportedUsage {
  if (message === undefined) return {};
  const meta = (message as { usage_metadata?: Record<string, unknown> }).usage_metadata;
  const usage: ReportedUsage = {};
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined);
  if (meta !== undefined) {
    usage.promptTokens = num(meta.input_tokens);
    usage.outputTokens = num(meta.output_tokens);
    usage.cachedPromptTokens = num(
      (meta.input_token_details as Record<string, unknown> | undefined)?.cache_read,
    );
  }
  const raw = (message.response_metadata as { usage?: Record<string, unknown> } | undefined)?.usage;
  if (raw !== undefined) {
    usage.promptTokens ??= num(raw.prompt_tokens);
    usage.outputTokens ??= num(raw.completion_tokens);
    usage.cachedPromptTokens ??= num(
      (raw.prompt_tokens_details as Record<string, unknown> | undefined)?.cached_tokens,
    );
  }
  return usage;
}

/** Number of tool calls a model response asks for. */
export function toolCallCount(message: BaseMessage | undefined): number {
  return (message as { tool_calls?: unknown[] } | undefined)?.tool_calls?.length ?? 0;
}
