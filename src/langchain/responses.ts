/**
 * Reading what a model call returned. A `createAgent` model handler returns an `AIMessage`, or, when the
 * agent has a `responseFormat` and the model produced it, `{ structuredResponse, messages }` (the model's
 * message first); a middleware may also return a LangGraph `Command`. Every place that reads a response goes
 * through {@link readResponse}.
 */
import { AIMessage, AIMessageChunk, type BaseMessage } from "@langchain/core/messages";

/** What the integration needs to know of one model response. */
export interface ResponseView {
  /** The model's own message, if the response carries one. */
  message: BaseMessage | undefined;
  /** The run's final answer: a structured response, or a message that asks for no tool. */
  final: boolean;
  /** Tool calls the message asks for (in the order the agent runs and routes them). */
  toolCalls: readonly { id?: string | undefined; name: string }[];
}

const NO_CALLS: ResponseView["toolCalls"] = [];

function isStructured(value: unknown): value is { structuredResponse: unknown; messages: unknown[] } {
  return (
    typeof value === "object" &&
    value !== null &&
    "structuredResponse" in value &&
    Array.isArray((value as { messages?: unknown }).messages)
  );
}

/** Reads a model handler's result (see the module comment). Anything else reads as "no message, not final". */
export function readResponse(response: unknown): ResponseView {
  if (isStructured(response)) {
    const first = response.messages[0];
    return { message: AIMessage.isInstance(first) ? first : undefined, final: true, toolCalls: NO_CALLS };
  }
  if (AIMessage.isInstance(response)) {
    const toolCalls = response.tool_calls ?? NO_CALLS;
    return { message: response, final: toolCalls.length === 0, toolCalls };
  }
  return { message: undefined, final: false, toolCalls: NO_CALLS };
}

/**
 * Whether a message is a response cut short in transit: one from an OpenAI-compatible API (LangChain marks
 * those `model_provider: "openai"`) that carries neither a finish reason (Chat Completions) nor a status
 * (Responses API), in its metadata or its generation's info. A complete response always has one; a stream that ended before its final chunk and
 * `[DONE]` has none, and LangChain returns the partial text as if it were the whole answer.
 */
export function isIncomplete(
  message: BaseMessage | undefined,
  generationInfo?: Record<string, unknown>,
): boolean {
  const meta = message?.response_metadata as Record<string, unknown> | undefined;
  if (meta === undefined || meta.model_provider !== "openai") return false;
  // When a streaming callback makes LangChain read the stream itself, the finish reason stays in the
  // generation's info and never reaches the message's metadata.
  const info = generationInfo ?? {};
  return [meta, info].every((m) => m.finish_reason == null && m.finishReason == null && m.status == null);
}

/** The message of the error @langchain/core throws when a streamed call produced no chunk at all. */
const EMPTY_RESPONSE = "Received empty response from chat model call.";

/** A stream cut before its first chunk: @langchain/core throws this plain `Error` instead of returning. */
export function isEmptyResponseError(error: unknown): boolean {
  return error instanceof Error && error.message === EMPTY_RESPONSE;
}

/**
 * The same message as an `AIMessageChunk` (what `BaseChatModel.invoke` is typed to return): chunks are
 * returned as they are; an `AIMessage` is copied field for field. `instanceof AIMessage` stays true.
 */
export function toChunk(message: BaseMessage): AIMessageChunk {
  if (AIMessageChunk.isInstance(message)) return message;
  const ai = message as AIMessage;
  return new AIMessageChunk({
    content: ai.content,
    ...(ai.id !== undefined ? { id: ai.id } : {}),
    ...(ai.name !== undefined ? { name: ai.name } : {}),
    additional_kwargs: ai.additional_kwargs,
    response_metadata: ai.response_metadata,
    tool_calls: ai.tool_calls ?? [],
    invalid_tool_calls: ai.invalid_tool_calls ?? [],
    ...(ai.usage_metadata !== undefined ? { usage_metadata: ai.usage_metadata } : {}),
  });
}
