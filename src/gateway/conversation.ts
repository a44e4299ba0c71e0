/**
 * Conversation continuity without client changes: a call continues a run when its messages extend an
 * earlier call's messages plus the assistant turn that call returned. Each message gets a canonical text
 * (role, text, tool calls with their arguments re-serialised, so whitespace a client changes does not
 * matter; tool-call ids are left out, as some clients rewrite them, and so is the text of a turn with tool
 * calls, which some clients drop), and the texts are hash-chained:
 * `chain[i]` identifies messages 0..i. The gateway remembers, per parked run, the chain value of its last
 * request plus the reply; a new request's chain is computed once (O(messages)) and looked up at every
 * position, the longest match winning.
 */
import {
  type ConversationSize,
  conversationSize,
  TOOL_CALL_OVERHEAD_CHARS,
  toolChars,
} from "../accounting/index.js";
import { type ChatCompletionBody, type ChatMessage, messageText } from "../wire/schema.js";
import { hashText } from "./placement/prefix-index.js";

/** A tool call as the reply carried it. */
export interface ReplyToolCall {
  name: string;
  arguments: string;
}

/** The assistant turn a call returned. */
export interface AssistantTurn {
  text: string;
  toolCalls: readonly ReplyToolCall[];
}

function canonicalArguments(args: string): string {
  try {
    return JSON.stringify(JSON.parse(args));
  } catch {
    return args;
  }
}

function canonical(role: string, text: string, calls: readonly ReplyToolCall[]): string {
  let out = `${role}\u0000${calls.length > 0 ? "" : text}`;
  for (const call of calls) out += `\u0001${call.name}\u0002${canonicalArguments(call.arguments)}`;
  return out;
}

/** The canonical text of a request message. */
export function canonicalMessage(message: ChatMessage): string {
  const calls = (message.tool_calls ?? []).map((c) => ({
    name: c.function.name,
    arguments: c.function.arguments,
  }));
  return canonical(message.role, messageText(message.content), calls);
}

/** The canonical text of a reply, as the next request will carry it back. */
export function canonicalReply(turn: AssistantTurn): string {
  return canonical("assistant", turn.text, turn.toolCalls);
}

/** `chain[i]` = hash of messages 0..i. */
export function messageChain(messages: readonly ChatMessage[]): number[] {
  const chain: number[] = [];
  let h = 0;
  for (const message of messages) {
    h = hashText(canonicalMessage(message), h);
    chain.push(h);
  }
  return chain;
}

/** The chain value of a request's messages followed by its reply. */
export function extendChain(chain: readonly number[], turn: AssistantTurn): number {
  return hashText(canonicalReply(turn), chain.at(-1) ?? 0);
}

/**
 * The text placement hashes into prefix blocks: tool schemas first (chat templates render them into the
 * system part), then each message's canonical text. Call k+1 of a run extends call k's text plus the reply.
 */
export function promptText(body: ChatCompletionBody): string {
  let text = body.tools && body.tools.length > 0 ? JSON.stringify(body.tools) : "";
  for (const message of body.messages) text += `${canonicalMessage(message)}\n`;
  return text;
}

/** The text of the system (and developer) messages and of the user messages, for the predictor. */
export function promptParts(messages: readonly ChatMessage[]): { system: string; user: string } {
  const system: string[] = [];
  const user: string[] = [];
  for (const m of messages) {
    if (m.role === "system" || m.role === "developer") system.push(messageText(m.content));
    else if (m.role === "user") user.push(messageText(m.content));
  }
  return { system: system.join("\n"), user: user.join("\n") };
}

/**
 * Chain values of parked runs -> run id, bounded by the run registry (one entry per run, removed when the
 * run continues, ends or is abandoned).
 */
export class ContinuationIndex {
  readonly #byChain = new Map<number, string>();
  readonly #byRun = new Map<string, number>();

  get size(): number {
    return this.#byChain.size;
  }

  /** The run whose remembered chain value is the longest prefix of `chain`, and where it matched. */
  find(chain: readonly number[]): { runId: string; at: number } | undefined {
    for (let i = chain.length - 1; i >= 0; i--) {
      const runId = this.#byChain.get(chain[i] as number);
      if (runId !== undefined) return { runId, at: i };
    }
    return undefined;
  }

  /** Remembers `value` for `runId`, replacing its previous one. */
  set(runId: string, value: number): void {
    this.delete(runId);
    const previous = this.#byChain.get(value);
    if (previous !== undefined) this.#byRun.delete(previous);
    this.#byChain.set(value, runId);
    this.#byRun.set(runId, value);
  }

  delete(runId: string): void {
    const value = this.#byRun.get(runId);
    if (value === undefined) return;
    this.#byRun.delete(runId);
    if (this.#byChain.get(value) === runId) this.#byChain.delete(value);
  }
}

/**
 * Characters of a request message as src/accounting measures them (the middleware's and the virtual bench's
 * rules): its text, and each tool call's name and arguments (already JSON text on the wire) plus the framing.
 */
function wireMessageChars(message: ChatMessage): number {
  let chars = messageText(message.content).length;
  for (const call of message.tool_calls ?? [])
    chars += call.function.name.length + call.function.arguments.length + TOOL_CALL_OVERHEAD_CHARS;
  return chars;
}

/** The size of what a request sends, measured by src/accounting's rules (one view with the middleware). */
export function requestSize(body: ChatCompletionBody): ConversationSize {
  const tools = (body.tools ?? []).map((t) => toolChars(t.function));
  // conversationSize() takes the head from a string content; wire contents may be null or parts.
  const size = conversationSize(
    body.messages.map((m) => ({ message: m, content: typeof m.content === "string" ? m.content : "" })),
    tools,
    (entry) => wireMessageChars(entry.message),
  );
  // The head is a key (src/accounting remembers up to 1,024 per model): a long one is kept as its hash and
  // length, not as the text, so that a client's 400 KiB first message is not retained with it.
  const head = size.head;
  if (head === undefined || head.length <= MAX_HEAD_KEY_CHARS) return size;
  return { ...size, head: `#${hashText(head).toString(36)}:${head.length}` };
}

/** First messages longer than this are keyed by hash in the accounting's per-agent memory. */
const MAX_HEAD_KEY_CHARS = 1024;
