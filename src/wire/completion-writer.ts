/**
 * The OpenAI chat-completion wire format, shared by every OpenAI-compatible server of the project: completion
 * ids, SSE chunks as OpenAI sends them, the usage object and the non-streaming body.
 */
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { SSE_DONE, sseEvent } from "./sse.js";

let completions = 0;
/** Unique per completion: a process-random prefix and a counter. */
const ID_PREFIX = randomBytes(6).toString("hex");

/** A new unique completion id (`chatcmpl-<random><counter>`). */
export function newCompletionId(): string {
  return `chatcmpl-${ID_PREFIX}${(completions++).toString(36)}`;
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
    this.#prefix = `{"id":"${options.id}","object":"chat.completion.chunk","created":${options.created},"model":${JSON.stringify(options.model)},"choices":[{"index":0,"delta":`;
  }

  #chunk(delta: unknown, finish: FinishReason | null): string {
    return sseEvent(
      `${this.#prefix}${JSON.stringify(delta)},"logprobs":null,"finish_reason":${finish === null ? "null" : `"${finish}"`}}]}`,
    );
  }

  /** A client that went away gets nothing more (a write after destroy would only raise an error). */
  get #gone(): boolean {
    return this.#res.destroyed || this.#res.writableEnded;
  }

  open(): void {
    if (!this.options.stream || this.#gone) return;
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
    if (this.#pending.length === 0 || (!this.#roleSent && !this.#hasDelta) || this.#gone) return;
    this.#roleSent = true;
    this.#res.write(this.#pending);
    this.#pending = "";
  }

  /** Ends the completion: `text` and `toolCalls` are the whole reply (used by the non-streaming body). */
  finish(reason: FinishReason, usage: WireUsage, text: string, toolCalls: readonly WireToolCall[]): void {
    const { id, created, model } = this.options;
    if (this.#gone) return;
    if (this.options.stream) {
      let out = this.#pending + this.#chunk({}, reason);
      this.#pending = "";
      if (this.options.includeUsage) {
        out += sseEvent(
          JSON.stringify({
            id,
            object: "chat.completion.chunk",
            created,
            model,
            choices: [],
            usage: usageJson(usage),
          }),
        );
      }
      this.#res.end(out + SSE_DONE);
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
