/**
 * A run's conversation in virtual time, in both forms the bench needs:
 * - the **token ids** the engine is sent, exactly as the simulator's HTTP server renders the same
 *   conversation (so the prefix cache, prompt counts and `cached_tokens` are the live simulator's): the
 *   first prompt rendered with the chat template, then per round the model's reply (the scripted model's
 *   text and tool calls, as the server streams them) and one tool turn per result;
 * - **what a client sees** of it (src/accounting's `ConversationSize`): the messages' text and the tool
 *   schemas, from which the call accounting estimates prompt tokens exactly as the middleware does. The
 *   client sees the reply's text and the tools' result text, never the script or the ids.
 * Recorded traces carry counts, not text: their first prompt is sized to the recorded count with
 * run-unique ids after the rendered (synthesized) text, which is all a client of that run would send.
 */
import {
  type ConversationSize,
  conversationSize,
  type ObservedMessage,
  toolChars,
  withMessage,
} from "../../accounting/conversation.js";
import { type ModelMessage, ScriptedModel } from "../../script/scripted-model.js";
import { assistantText } from "../../script/template.js";
import { SPECIAL, tokenize, tokenizeInto } from "../../script/tokenizer.js";
import { scriptsFromRuns } from "../../sim/run-scripts.js";
import { firstCallIds, toolResultText } from "../../workload/prompt.js";
import { hashString } from "../../workload/rng.js";
import type { GeneratedRun, ScriptRound } from "../../workload/types.js";

/** `count` pseudo-random token ids, deterministic in `key`. */
export function syntheticIds(key: string, count: number): number[] {
  const out = new Array<number>(count);
  let state = hashString(key) | 1;
  for (let i = 0; i < count; i++) {
    // xorshift32: cheap, deterministic, good enough to make ids unique per run.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = (state >>> 0) % 128_000;
  }
  return out;
}

/** Prompt ids of a run's first call: as rendered, sized to `run.promptTokens` (at least 1) for traces. */
export function firstPromptIds(run: GeneratedRun): number[] {
  const ids = firstCallIds(run.systemPrompt, run.userPrompt, run.tools);
  const target = Math.max(1, run.promptTokens);
  if (ids.length > target) {
    // Keep the shared prefix, end with run-unique ids so two runs never have identical prompts.
    const unique = syntheticIds(`${run.id}:tail`, Math.min(target, 8));
    return [...ids.slice(0, target - unique.length), ...unique];
  }
  if (ids.length < target) ids.push(...syntheticIds(`${run.id}:pad`, target - ids.length));
  return ids;
}

/**
 * What a client sends on a run's first call: its system prompt (left out when empty, as LangChain does), its
 * user prompt and its tools' schemas. `toolCharCounts` may be given when they are already known.
 */
export function firstCallSize(
  run: GeneratedRun,
  toolCharCounts: readonly number[] = run.tools.map(toolChars),
): ConversationSize {
  const first: ObservedMessage[] = run.systemPrompt === "" ? [] : [{ content: run.systemPrompt }];
  first.push({ content: run.userPrompt });
  return conversationSize(first, toolCharCounts);
}

/** The model's reply to a run's next call. */
export interface Reply {
  /** Tokens the engine generates (the server's `completion_tokens`). */
  readonly totalTokens: number;
  /** Token ids of the reply as the next prompt renders it (the engine's `outputTokens`, for the prefix cache). */
  readonly outputIds: number[];
  /** The reply as the client receives it. */
  readonly message: ObservedMessage;
}

/** Ids of one chat-template turn: `<start_header> role <end_header> content <eot>`. */
function turnIds(role: string, content: string, out: number[]): void {
  out.push(SPECIAL.startHeader);
  tokenizeInto(role, out);
  out.push(SPECIAL.endHeader);
  tokenizeInto(content, out);
  out.push(SPECIAL.endOfTurn);
}

const GENERATION_PROMPT = [SPECIAL.startHeader, ...tokenize("assistant"), SPECIAL.endHeader];

/** The final answer: no later call renders it, so neither its text nor its ids are built. */
const FINAL_REPLY: Reply = { totalTokens: 0, outputIds: [], message: { content: "" } };

/** A tool turn's ids and what a client sees of it, per result size (results repeat: built once). */
interface ToolTurn {
  readonly ids: readonly number[];
  readonly message: ObservedMessage;
}

/** What every transcript of one workload shares: the scripted model and caches of what repeats. */
interface Shared {
  readonly model: ScriptedModel;
  readonly toolTurns: Map<number, ToolTurn>;
  readonly toolChars: WeakMap<readonly unknown[], number[]>;
}

/** Tool turns kept per workload (distinct result sizes beyond it are rebuilt each time). */
const TOOL_TURN_CACHE = 4096;

function toolTurn(shared: Shared, resultTokens: number): ToolTurn {
  let turn = shared.toolTurns.get(resultTokens);
  if (turn === undefined) {
    const text = toolResultText(resultTokens);
    const ids: number[] = [];
    turnIds("tool", text, ids);
    turn = { ids, message: { content: text } };
    if (shared.toolTurns.size < TOOL_TURN_CACHE) shared.toolTurns.set(resultTokens, turn);
  }
  return turn;
}

/** The conversation of one run (see the module doc). Build it with {@link Transcripts.begin}. */
export class RunTranscript {
  readonly #shared: Shared;
  readonly #modelView: ModelMessage[];
  /** Token ids of the next call's prompt. */
  readonly promptIds: number[];
  #size: ConversationSize;

  constructor(run: GeneratedRun, shared: Shared) {
    this.#shared = shared;
    this.#modelView = [{ role: "user", content: run.userPrompt }];
    this.promptIds = firstPromptIds(run);
    let chars = shared.toolChars.get(run.tools);
    if (chars === undefined) {
      chars = run.tools.map(toolChars);
      shared.toolChars.set(run.tools, chars);
    }
    this.#size = firstCallSize(run, chars);
  }

  /** What the client sends on the next call. */
  get size(): ConversationSize {
    return this.#size;
  }

  /**
   * The reply the model gives to the next call (what the simulator's server would answer). `final`: the
   * run's final answer, which no later call renders (its text and ids are not built).
   */
  reply(final = false): Reply {
    if (final) return FINAL_REPLY;
    const plan = this.#shared.model.plan(this.#modelView, undefined, true);
    const text = plan.text.join("");
    const outputIds = tokenize(assistantText(text, plan.toolCalls));
    outputIds.push(SPECIAL.endOfTurn);
    const message: ObservedMessage =
      plan.toolCalls.length === 0
        ? { content: text }
        : {
            content: text,
            tool_calls: plan.toolCalls.map((c) => ({
              name: c.name,
              args: JSON.parse(c.arguments) as unknown,
            })),
          };
    return { totalTokens: plan.totalTokens, outputIds, message };
  }

  /** Appends a reply that called tools and the round's results: the next call's prompt. */
  appendRound(reply: Reply, round: ScriptRound): void {
    const ids = this.promptIds;
    for (const id of reply.outputIds) ids.push(id);
    this.#size = withMessage(this.#size, reply.message);
    for (const call of round.calls) {
      const turn = toolTurn(this.#shared, call.resultTokens);
      for (const id of turn.ids) ids.push(id);
      this.#size = withMessage(this.#size, turn.message);
      this.#modelView.push({ role: "tool", content: "" });
    }
    for (const id of GENERATION_PROMPT) ids.push(id);
  }
}

/** Builds the transcripts of a workload's runs, with one scripted model (the simulator's, seed 0). */
export class Transcripts {
  readonly #shared: Shared = { model: new ScriptedModel(), toolTurns: new Map(), toolChars: new WeakMap() };

  constructor(runs: readonly GeneratedRun[]) {
    this.#shared.model.register(scriptsFromRuns(runs));
  }

  begin(run: GeneratedRun): RunTranscript {
    return new RunTranscript(run, this.#shared);
  }
}
