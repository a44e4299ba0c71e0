/**
 * Reading what an upstream replied, without changing it: the assistant turn (text and tool calls, for
 * continuity), the finish reason, the usage, and the moments tokens arrive (for the scheduler). Streamed
 * replies are read event by event as they are forwarded; a whole body is read once.
 */
import type { CallContext } from "../scheduler/types.js";
import { sseData } from "../wire/sse.js";
import type { AssistantTurn, ReplyToolCall } from "./conversation.js";

export interface ReplyUsage {
  promptTokens?: number;
  completionTokens?: number;
  cachedTokens?: number;
}

interface UsageJson {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
  prompt_tokens_details?: { cached_tokens?: unknown } | null;
}

interface ToolCallDelta {
  index?: unknown;
  function?: { name?: unknown; arguments?: unknown } | null;
}

const TOOL_CALLS = Buffer.from('"tool_calls"');
const EMPTY_CONTENT = Buffer.from('"content":""');
/** How a content or tool-call delta chunk of vLLM, SGLang, llama.cpp and the simulator ends. */
const DELTA_END = Buffer.from('"finish_reason":null}]}');

/**
 * A content-token event with nothing else the gateway needs (see {@link ReplyObserver.event}): it ends
 * with a null finish reason and carries no tool calls and no empty content (the role chunk).
 */
function isPlainContent(bytes: Buffer): boolean {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d)) end--;
  const from = end - DELTA_END.length;
  if (from < 0 || bytes.compare(DELTA_END, 0, DELTA_END.length, from, end) !== 0) return false;
  return bytes.indexOf(TOOL_CALLS) < 0 && bytes.indexOf(EMPTY_CONTENT) < 0;
}

/**
 * Least time between two token reports to the scheduler after the first, ms. The scheduler's decode
 * measurement is a gap divided by the tokens in it, so fewer, larger reports measure the same rate.
 */
export const TOKEN_REPORT_INTERVAL_MS = 10;

const DONE_EVENT = Buffer.from("data: [DONE]");

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

function readUsage(u: UsageJson | null | undefined): ReplyUsage | undefined {
  if (u === null || typeof u !== "object") return undefined;
  const usage: ReplyUsage = {};
  const prompt = num(u.prompt_tokens);
  const completion = num(u.completion_tokens);
  const cached = num(u.prompt_tokens_details?.cached_tokens);
  if (prompt !== undefined) usage.promptTokens = prompt;
  if (completion !== undefined) usage.completionTokens = completion;
  if (cached !== undefined) usage.cachedTokens = cached;
  return usage;
}

/** Observes one reply; `ctx` (absent on a non-scheduled path) hears first token and token counts. */
export class ReplyObserver {
  text = "";
  readonly toolCalls: { name: string; arguments: string }[] = [];
  finishReason: string | null = null;
  usage: ReplyUsage | undefined;
  /** Content or tool-call chunks seen (about one token each on vLLM-like servers). */
  chunks = 0;
  /** `[DONE]` was seen. */
  done = false;
  /** The upstream sent an error event (`data: {"error": ...}`). */
  errorEvent = false;
  readonly #ctx: CallContext | undefined;
  /** Token chunks seen since the last {@link ReplyObserver.flushTokens}. */
  #pending = 0;
  /** When tokens were last reported (-1: never: the first report goes out at once, as the first token). */
  #reportedAt = -1;

  constructor(ctx: CallContext | undefined) {
    this.#ctx = ctx;
  }

  /**
   * Reports the token chunks seen so far to the scheduler in one `onTokens`: the first at once (it is the
   * first token), later ones at most every {@link TOKEN_REPORT_INTERVAL_MS} (each report costs the scheduler
   * a measurement and a pump; a stream's tokens come every few ms), and whatever is left when `final`.
   */
  flushTokens(final = false): void {
    if (this.#pending === 0) return;
    const now = performance.now();
    if (!final && this.#reportedAt >= 0 && now - this.#reportedAt < TOKEN_REPORT_INTERVAL_MS) return;
    this.#reportedAt = now;
    const count = this.#pending;
    this.#pending = 0;
    this.#ctx?.onTokens(count);
  }

  get turn(): AssistantTurn {
    return { text: this.text, toolCalls: this.toolCalls as readonly ReplyToolCall[] };
  }

  /**
   * One SSE event. Returns whether it is a usage-only chunk (`choices: []` with `usage`), which the gateway
   * drops when it asked for usage on the client's behalf.
   *
   * Most events of a stream are one content token: `{"choices":[{"delta":{"content":"..."},...,
   * "finish_reason":null}]}`. Those are counted without parsing (a byte search for the fields that matter);
   * events that may carry tool calls, a finish reason, usage or an error are parsed. The text of a reply is
   * not needed (continuity ignores the text of tool-call turns; a text answer ends its run).
   */
  event(event: Buffer): boolean {
    if (isPlainContent(event)) {
      this.chunks += 1;
      this.#pending += 1;
      return false;
    }
    if (event.length <= DONE_EVENT.length + 4 && event.indexOf(DONE_EVENT) === 0) {
      this.done = true;
      return false;
    }
    const data = sseData(event);
    if (data === undefined) return false;
    if (data.trim() === "[DONE]") {
      this.done = true;
      return false;
    }
    let json: {
      error?: unknown;
      usage?: UsageJson | null;
      choices?: Array<{
        delta?: { content?: unknown; tool_calls?: ToolCallDelta[] | null };
        finish_reason?: unknown;
      }>;
    };
    try {
      json = JSON.parse(data);
    } catch {
      return false;
    }
    if (json === null || typeof json !== "object") return false;
    if (json.error !== undefined) this.errorEvent = true;
    const usage = readUsage(json.usage);
    if (usage !== undefined) this.usage = usage;
    const choice = Array.isArray(json.choices) ? json.choices[0] : undefined;
    if (choice !== undefined) {
      const delta = choice.delta;
      let tokens = false;
      if (typeof delta?.content === "string" && delta.content.length > 0) {
        this.text += delta.content;
        tokens = true;
      }
      if (Array.isArray(delta?.tool_calls)) {
        for (const d of delta.tool_calls) this.#mergeToolCall(d);
        tokens = true;
      }
      if (tokens) {
        this.chunks += 1;
        this.#pending += 1;
      }
      if (typeof choice.finish_reason === "string") this.finishReason = choice.finish_reason;
    }
    return usage !== undefined && Array.isArray(json.choices) && json.choices.length === 0;
  }

  /** A whole `chat.completion` body. Returns false when it is not one. */
  body(bytes: Buffer): boolean {
    let json: {
      usage?: UsageJson | null;
      choices?: Array<{
        message?: {
          content?: unknown;
          tool_calls?: Array<{ function?: { name?: unknown; arguments?: unknown } }> | null;
        };
        finish_reason?: unknown;
      }>;
    };
    try {
      json = JSON.parse(bytes.toString("utf8"));
    } catch {
      return false;
    }
    if (json === null || typeof json !== "object") return false;
    this.usage = readUsage(json.usage);
    const choice = Array.isArray(json.choices) ? json.choices[0] : undefined;
    const message = choice?.message;
    if (typeof message?.content === "string") this.text = message.content;
    for (const call of message?.tool_calls ?? []) {
      this.toolCalls.push({
        name: typeof call.function?.name === "string" ? call.function.name : "",
        arguments: typeof call.function?.arguments === "string" ? call.function.arguments : "",
      });
    }
    if (typeof choice?.finish_reason === "string") this.finishReason = choice.finish_reason;
    this.done = true;
    return true;
  }

  /** Output tokens of the reply: the usage's, else the chunks counted, else ~4 characters a token. */
  outputTokens(): number {
    return (
      this.usage?.completionTokens ??
      Math.max(
        this.chunks,
        Math.ceil((this.text.length + this.toolCalls.reduce((n, c) => n + c.arguments.length, 0)) / 4),
      )
    );
  }

  #mergeToolCall(d: ToolCallDelta): void {
    const index =
      typeof d.index === "number" && d.index >= 0 && d.index < 1024 ? d.index : this.toolCalls.length;
    while (this.toolCalls.length <= index) this.toolCalls.push({ name: "", arguments: "" });
    const call = this.toolCalls[index] as { name: string; arguments: string };
    if (typeof d.function?.name === "string") call.name += d.function.name;
    if (typeof d.function?.arguments === "string") call.arguments += d.function.arguments;
  }
}
