/**
 * The OpenAI chat-completion wire format, shared by every OpenAI-compatible server of the project (the
 * simulator, the real engine): completion ids, SSE chunks as OpenAI sends them, the non-streaming body, and
 * how an assistant turn with tool calls renders into the next prompt.
 */
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { ReplyPlan } from "../model/scripted-model.js";
import type { TemplateMessage } from "../tokenizer.js";
import { type ChatMessage, messageText } from "./schema.js";

let completions = 0;
/** Unique per completion: a process-random prefix and a counter. */
const ID_PREFIX = randomBytes(6).toString("hex");

/** A new unique completion id (`chatcmpl-<random><counter>`). */
export function newCompletionId(): string {
  return `chatcmpl-${ID_PREFIX}${(completions++).toString(36)}`;
}

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

export type FinishReason = "stop" | "tool_calls" | "length";

export interface WireUsage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens served from the prefix cache (`prompt_tokens_details.cached_tokens`). */
  cachedTokens: number;
}

export interface WireToolCall {
  id: string;
  name: string;
  /** JSON text of the arguments. */
  arguments: string;
}

export interface CompletionWriterOptions {
  id: string;
  /** Unix seconds. */
  created: number;
  model: string;
  stream: boolean;
  /** Send the usage chunk (`stream_options.include_usage`). */
  includeUsage: boolean;
}

function usageJson(u: WireUsage) {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    prompt_tokens_details: { cached_tokens: u.cachedTokens },
  };
}

/**
 * Writes one completion to its response, streamed (SSE) or not. Streaming: `open()` sends the headers and the
 * role chunk, `push()` buffers delta chunks, `flush()` writes them in one `res.write`, `finish()` adds the
 * finish-reason chunk, the usage chunk (when asked) and `[DONE]`, and ends. Not streaming: `push`/`flush` do
 * nothing and `finish()` sends the whole `chat.completion` body.
 */
export class ChatCompletionWriter {
  readonly options: CompletionWriterOptions;
  #res: ServerResponse;
  #prefix: string;
  #pending = "";
  #roleSent = true;
  #hasDelta = false;

  constructor(res: ServerResponse, options: CompletionWriterOptions) {
    this.#res = res;
    this.options = options;
    this.#prefix = `data: {"id":"${options.id}","object":"chat.completion.chunk","created":${options.created},"model":${JSON.stringify(options.model)},"choices":[{"index":0,"delta":`;
  }

  #chunk(delta: unknown, finish: FinishReason | null): string {
    return `${this.#prefix}${JSON.stringify(delta)},"logprobs":null,"finish_reason":${finish === null ? "null" : `"${finish}"`}}]}\n\n`;
  }

  open(): void {
    if (!this.options.stream) return;
    this.#res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    // As vLLM does, the role chunk goes out with the first output (after prefill), not on arrival: a client
    // that times its first token by the first chunk then sees the server's queueing and prefill.
    this.#pending = this.#chunk({ role: "assistant", content: "" }, null);
    this.#roleSent = false;
  }

  /** Buffers delta chunks (`{content}` or `{tool_calls}` objects). */
  push(deltas: readonly unknown[]): void {
    if (!this.options.stream) return;
    for (const delta of deltas) {
      this.#pending += this.#chunk(delta, null);
      this.#hasDelta = true;
    }
  }

  flush(): void {
    if (this.#pending.length === 0 || (!this.#roleSent && !this.#hasDelta)) return;
    this.#roleSent = true;
    this.#res.write(this.#pending);
    this.#pending = "";
  }

  /** Ends the completion: `text` and `toolCalls` are the whole reply (used by the non-streaming body). */
  finish(reason: FinishReason, usage: WireUsage, text: string, toolCalls: readonly WireToolCall[]): void {
    const { id, created, model } = this.options;
    if (this.options.stream) {
      let out = this.#pending + this.#chunk({}, reason);
      this.#pending = "";
      if (this.options.includeUsage) {
        out += `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [], usage: usageJson(usage) })}\n\n`;
      }
      this.#res.end(`${out}data: [DONE]\n\n`);
      return;
    }
    const message: Record<string, unknown> = {
      role: "assistant",
      content: text.length > 0 || toolCalls.length === 0 ? text : null,
    };
    if (toolCalls.length > 0) {
      message.tool_calls = toolCalls.map((c) => ({
        id: c.id,
        type: "function",
        function: { name: c.name, arguments: c.arguments },
      }));
    }
    const body = JSON.stringify({
      id,
      object: "chat.completion",
      created,
      model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: reason }],
      usage: usageJson(usage),
    });
    this.#res.writeHead(200, { "content-type": "application/json" }).end(body);
  }
}

/** Walks a plan's tokens: text pieces, then each tool call's argument pieces, as OpenAI delta objects. */
export class PlanCursor {
  #plan: ReplyPlan;
  #at = 0;
  constructor(plan: ReplyPlan) {
    this.#plan = plan;
  }

  /** The deltas carrying the next `tokens` tokens. */
  advance(tokens: number): unknown[] {
    const deltas: unknown[] = [];
    const text = this.#plan.text;
    let left = tokens;
    if (this.#at < text.length && left > 0) {
      const take = Math.min(left, text.length - this.#at);
      deltas.push({ content: text.slice(this.#at, this.#at + take).join("") });
      this.#at += take;
      left -= take;
    }
    let base = text.length;
    for (let index = 0; index < this.#plan.toolCalls.length && left > 0; index++) {
      const call = this.#plan.toolCalls[index] as ReplyPlan["toolCalls"][number];
      const offset = this.#at - base;
      base += call.pieces.length;
      if (offset >= call.pieces.length) continue;
      if (offset === 0) {
        deltas.push({
          tool_calls: [
            { index, id: call.id, type: "function", function: { name: call.name, arguments: "" } },
          ],
        });
      }
      const take = Math.min(left, call.pieces.length - offset);
      deltas.push({
        tool_calls: [{ index, function: { arguments: call.pieces.slice(offset, offset + take).join("") } }],
      });
      this.#at += take;
      left -= take;
    }
    return deltas;
  }
}
