/**
 * The simulated model: what a completion says, decided before the engine generates it.
 *
 * A conversation is recognised by its first user message. If a `ConversationScript` is registered for it, the
 * round is the number of rounds whose tool calls all have results in the conversation (tool messages); the
 * reply is that round's `outputTokens` of text followed by its tool calls, or, after the last round, the final
 * answer of `finalOutputTokens`. Any other conversation gets a plain answer of `defaultAnswerTokens`.
 * `max_tokens` cuts a reply: the cut reply is text only (no half tool call), finish reason `length`.
 */

import { textPieces, textSeed } from "./text.js";
import { countTokens, tokenPieces } from "./tokenizer.js";
import type { ConversationScript, ScriptedToolCall } from "./types.js";

/** One tool call of a reply, as the API returns it. */
export interface PlannedToolCall {
  id: string;
  name: string;
  /** JSON text of the arguments. */
  arguments: string;
  /** Token pieces of `arguments` (streamed one token at a time). */
  pieces: string[];
}

export interface ReplyPlan {
  /** Token pieces of the text content. */
  text: string[];
  toolCalls: PlannedToolCall[];
  /** Tokens the engine generates: text tokens + tool-call argument tokens. */
  totalTokens: number;
  finishReason: "stop" | "tool_calls" | "length";
  /** Whether a registered script drove the reply. */
  scripted: boolean;
}

export interface ModelMessage {
  role: string;
  /** Text of the message (joined text parts). */
  content: string;
}

export interface ScriptedModelOptions {
  /** Seed of all generated text. @default 0 */
  seed?: number;
  /** Tokens of the answer to an unknown conversation. @default 64 */
  defaultAnswerTokens?: number;
}

export class ScriptedModel {
  readonly seed: number;
  readonly defaultAnswerTokens: number;
  #scripts = new Map<string, ConversationScript>();
  #calls = 0;

  constructor(options: ScriptedModelOptions = {}) {
    this.seed = options.seed ?? 0;
    this.defaultAnswerTokens = options.defaultAnswerTokens ?? 64;
  }

  /** Registers (or replaces) scripts, keyed by their first user message. */
  register(scripts: Iterable<ConversationScript>): void {
    for (const script of scripts) this.#scripts.set(script.firstUserMessage, script);
  }

  get scriptCount(): number {
    return this.#scripts.size;
  }

  /**
   * The reply to a conversation. `maxTokens` (if given) cuts it; `allowTools` false (tool_choice "none", or no
   * tools offered) turns a tool round into its text alone.
   */
  plan(messages: readonly ModelMessage[], maxTokens: number | undefined, allowTools: boolean): ReplyPlan {
    const firstUser = messages.find((m) => m.role === "user")?.content ?? "";
    const script = this.#scripts.get(firstUser);
    let textTokens = this.defaultAnswerTokens;
    let calls: ScriptedToolCall[] = [];
    let round = 0;
    if (script !== undefined) {
      let results = messages.reduce((n, m) => n + (m.role === "tool" ? 1 : 0), 0);
      while (round < script.rounds.length) {
        const needed = (script.rounds[round] as ConversationScript["rounds"][number]).toolCalls.length;
        if (needed === 0 || results < needed) break;
        results -= needed;
        round++;
      }
      const current = script.rounds[round];
      textTokens = current === undefined ? script.finalOutputTokens : current.outputTokens;
      calls = current === undefined || !allowTools ? [] : current.toolCalls;
    }
    const seed = textSeed(this.seed, firstUser, round);
    const toolCalls = calls.map((call, index) => {
      const args = JSON.stringify(call.arguments);
      const id = `call_${textSeed(seed, call.name, index).toString(16).padStart(8, "0")}${(this.#calls++).toString(36)}`;
      return { id, name: call.name, arguments: args, pieces: tokenPieces(args) };
    });
    // A round's scripted `outputTokens` counts everything the call generates, its tool-call arguments
    // included (as a trace's completion_tokens do, and as the virtual-time bench charges it): the text is
    // what the arguments leave, possibly nothing. A reply has at least one token (the engine generates >= 1).
    const argumentTokens = toolCalls.reduce((n, c) => n + c.pieces.length, 0);
    textTokens = Math.max(0, textTokens - argumentTokens);
    if (toolCalls.length === 0 && textTokens < 1) textTokens = 1;
    const totalTokens = textTokens + argumentTokens;
    if (maxTokens !== undefined && totalTokens > maxTokens) {
      return {
        text: textPieces(maxTokens, seed),
        toolCalls: [],
        totalTokens: maxTokens,
        finishReason: "length",
        scripted: script !== undefined,
      };
    }
    return {
      text: textPieces(textTokens, seed),
      toolCalls,
      totalTokens,
      finishReason: toolCalls.length > 0 ? "tool_calls" : "stop",
      scripted: script !== undefined,
    };
  }
}

/** Token count of the text of a plan (for tests: equals `plan.text.length`). */
export function planTextTokens(plan: ReplyPlan): number {
  return countTokens(plan.text.join(""));
}
