/**
 * LangChain's side of the token accounting (src/accounting): the tools' schemas and the size of what a call
 * sends, measured by the same rules as the virtual bench's.
 */
import type { BaseMessage } from "@langchain/core/messages";
import { convertToOpenAITool } from "@langchain/core/utils/function_calling";
import {
  type ConversationSize,
  conversationSize,
  messageChars as observedMessageChars,
  rawPromptTokens,
  TokenCalibrator,
  toolChars,
} from "../accounting/index.js";
import type { ToolSchema } from "../predict/types.js";

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
  const info = { schema, chars: toolChars(schema) };
  if (typeof tool === "object" && tool !== null) toolCache.set(tool, info);
  return info;
}

/** Characters of a message as the server renders it (the rules of src/accounting, shared with the virtual bench). */
export function messageChars(message: BaseMessage): number {
  return observedMessageChars(message);
}

/** Raw estimate of a call's prompt tokens: characters / `charsPerToken` plus chat-template tokens. */
export function estimatePromptTokens(
  messages: readonly BaseMessage[],
  tools: readonly BindableTool[],
  charsPerToken: number,
): number {
  return rawPromptTokens(conversationOf(messages, tools), charsPerToken);
}

/** The size of what a call sends (messages and tool schemas), measured as src/accounting measures it. */
export function conversationOf(
  messages: readonly BaseMessage[],
  tools: readonly BindableTool[],
): ConversationSize {
  return conversationSize(
    messages,
    tools.map((tool) => toolInfo(tool).chars),
  );
}

export { TokenCalibrator };
