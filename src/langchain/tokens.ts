/**
 * Token accounting before a call: a cheap estimate of the prompt's tokens from the messages and the tool
 * schemas, corrected per model by the ratio the server's reported usage teaches (an EWMA), so the
 * scheduler's budget tracks the server's real token counts without a tokenizer in the loop.
 */
import type { BaseMessage } from "@langchain/core/messages";
import { convertToOpenAITool } from "@langchain/core/utils/function_calling";
import type { ToolSchema } from "../predict/types.js";

/** Chat-template tokens around one message (start header, role, end header, end of turn). */
const TEMPLATE_TOKENS_PER_MESSAGE = 4;

/** A tool as bound to an agent: anything `convertToOpenAITool` accepts. */
export type BindableTool = Parameters<typeof convertToOpenAITool>[0];

/** A tool's schema and the characters of its JSON, computed once per tool object (schema conversion is slow). */
interface ToolInfo {
  schema: ToolSchema;
  chars: number;
}
const toolCache = new WeakMap<object, ToolInfo>();

/** The OpenAI function-tool fields of a bound tool, cached per tool object. */
export function toolInfo(tool: BindableTool): ToolInfo {
  const cached = typeof tool === "object" && tool !== null ? toolCache.get(tool) : undefined;
  if (cached !== undefined) return cached;
  let schema: ToolSchema;
  try {
    const converted = convertToOpenAITool(tool) as { function?: ToolSchema; name?: string };
    schema = converted.function ?? { name: String(converted.name ?? "tool") };
  } catch {
    schema = { name: String((tool as { name?: unknown }).name ?? "tool") };
  }
  const info = { schema, chars: JSON.stringify(schema).length };
  if (typeof tool === "object" && tool !== null) toolCache.set(tool, info);
  return info;
}

/**
 * Characters of each message already counted. A conversation's messages are the same objects from call to
 * call (LangGraph's state keeps them), so a call counts only the messages that are new since the last one.
 * Content is not mutated after a message enters the state (LangGraph replaces a message by id instead).
 */
const charsCache = new WeakMap<BaseMessage, number>();

/** Characters of a message as the server renders it: text, tool-call names and arguments. */
export function messageChars(message: BaseMessage): number {
  const cached = charsCache.get(message);
  if (cached !== undefined) return cached;
  const chars = countChars(message);
  charsCache.set(message, chars);
  return chars;
}

function countChars(message: BaseMessage): number {
  let chars = 0;
  const content = message.content;
  if (typeof content === "string") chars += content.length;
  else {
    for (const block of content) {
      if (typeof block === "string") chars += (block as string).length;
      else if (typeof block.text === "string") chars += block.text.length;
    }
  }
  const toolCalls = (message as { tool_calls?: { name: string; args: unknown }[] }).tool_calls;
  if (toolCalls !== undefined) {
    for (const call of toolCalls) chars += call.name.length + JSON.stringify(call.args ?? {}).length + 16;
  }
  return chars;
}

/** Raw estimate of a call's prompt tokens: characters / `charsPerToken` plus chat-template tokens. */
export function estimatePromptTokens(
  messages: readonly BaseMessage[],
  tools: readonly BindableTool[],
  charsPerToken: number,
): number {
  let chars = 0;
  for (const message of messages) chars += messageChars(message);
  for (const tool of tools) chars += toolInfo(tool).chars;
  return Math.ceil(chars / charsPerToken) + TEMPLATE_TOKENS_PER_MESSAGE * (messages.length + 1);
}

/**
 * Learns, per model, the ratio of the server's reported prompt tokens to the raw estimate, as an EWMA.
 * Ratios outside [0.2, 5] are treated as bad reports and ignored (a proxy that counts differently, a
 * cached response), so one odd usage block cannot wreck the budget.
 */
export class TokenCalibrator {
  readonly #alpha: number;
  readonly #ratios = new Map<string, number>();

  /** @param alpha weight of each new observation, 0..1. */
  constructor(alpha: number) {
    this.#alpha = alpha;
  }

  /** The calibrated estimate of `rawEstimate` for `model` (the raw estimate before any observation). */
  correct(model: string, rawEstimate: number): number {
    return Math.max(1, Math.round(rawEstimate * (this.#ratios.get(model) ?? 1)));
  }

  /** Teach one observation: the raw estimate of a call and the prompt tokens the server reported. */
  learn(model: string, rawEstimate: number, reportedPromptTokens: number): void {
    if (!(rawEstimate > 0) || !(reportedPromptTokens > 0)) return;
    const ratio = reportedPromptTokens / rawEstimate;
    if (ratio < 0.2 || ratio > 5) return;
    const previous = this.#ratios.get(model);
    this.#ratios.set(model, previous === undefined ? ratio : previous + this.#alpha * (ratio - previous));
  }

  /** The learned ratio of a model (1 before any observation). */
  ratio(model: string): number {
    return this.#ratios.get(model) ?? 1;
  }
}
