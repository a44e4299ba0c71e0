/**
 * The request body of `POST /v1/chat/completions`, validated as vLLM's OpenAI server does: known fields must
 * have the right type, unknown fields are accepted and kept (every object is a `looseObject`, so a proxy can
 * forward what it does not use; the raw bytes are handed to routes as well).
 */
import { z } from "zod";

const TextPart = z.looseObject({ type: z.string(), text: z.string().optional() });
const Content = z.union([z.string(), z.array(TextPart), z.null()]);

const ToolCall = z.looseObject({
  id: z.string(),
  type: z.literal("function").optional(),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});

const Message = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool"]),
  content: Content.optional(),
  name: z.string().optional(),
  tool_calls: z.array(ToolCall).nullable().optional(),
  tool_call_id: z.string().optional(),
});

const Tool = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

const ToolChoice = z.union([
  z.enum(["none", "auto", "required"]),
  z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string() }) }),
]);

/** The body schema for a model length of `maxModelLen` (max_tokens must be within 1..maxModelLen). */
export function chatCompletionBodySchema(maxModelLen: number) {
  const maxTokens = z.number().int().min(1).max(maxModelLen).nullable().optional();
  return z.looseObject({
    model: z.string().optional(),
    messages: z.array(Message).min(1),
    tools: z.array(Tool).nullable().optional(),
    tool_choice: ToolChoice.nullable().optional(),
    max_tokens: maxTokens,
    max_completion_tokens: maxTokens,
    stream: z.boolean().nullable().optional(),
    stream_options: z.looseObject({ include_usage: z.boolean().nullable().optional() }).nullable().optional(),
    /** vLLM's extension: lower is served first under the `priority` scheduling policy. */
    priority: z.number().int().optional(),
    n: z.literal(1).nullable().optional(),
    temperature: z.number().nullable().optional(),
    top_p: z.number().nullable().optional(),
    parallel_tool_calls: z.boolean().nullable().optional(),
    user: z.string().optional(),
  });
}

export type ChatCompletionBody = z.infer<ReturnType<typeof chatCompletionBodySchema>>;
export type ChatMessage = ChatCompletionBody["messages"][number];

/** Text of a message's content (text parts joined). */
export function messageText(content: ChatMessage["content"]): string {
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return content;
  return content.map((part) => part.text ?? "").join("");
}
