/**
 * How the request's messages enter the chat template of the project's model servers (the simulator's token
 * template, the engine's ChatML text): assistant tool calls are rendered as JSON text, so that the next
 * call's prompt repeats the tokens of the assistant turn it follows (and the prefix cache sees them).
 */
import type { ChatMessage } from "../wire/schema.js";
import { messageText } from "../wire/schema.js";
import type { TemplateMessage } from "./tokenizer.js";

/** The assistant turn as the chat template renders it (so the next call's prompt repeats these tokens). */
export function assistantText(
  content: string,
  toolCalls: readonly { name: string; arguments: string }[],
): string {
  if (toolCalls.length === 0) return content;
  return content + JSON.stringify(toolCalls.map((c) => ({ name: c.name, arguments: c.arguments })));
}

/** Request messages as the chat template sees them (assistant tool calls rendered as JSON text). */
export function templateMessages(messages: readonly ChatMessage[]): TemplateMessage[] {
  return messages.map((m) => {
    const text = messageText(m.content);
    if (m.role !== "assistant" || !m.tool_calls?.length) return { role: m.role, content: text };
    const calls = m.tool_calls.map((c) => ({ name: c.function.name, arguments: c.function.arguments }));
    return { role: m.role, content: assistantText(text, calls) };
  });
}
