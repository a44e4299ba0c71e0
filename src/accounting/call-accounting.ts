/**
 * One view of the world for live and virtual (issue 11, item 2; DESIGN.md section 4): the token accounting
 * of a call (`CallSpec.promptTokens`, `cachedPromptTokens`) computed from what a client observes, by the
 * virtual bench and by the middleware alike.
 *
 * What a client observes, and what it is used for:
 * - the text it sends -> the raw estimate (conversation.ts), calibrated per model by the ratio the server's
 *   reported `usage.prompt_tokens` teaches (calibrator.ts);
 * - the previous call of the same run: its reported prompt tokens anchor the next estimate (the new prompt
 *   is the old one plus what was added since: the reply and the tool results, estimated from their text),
 *   and its prompt plus its output are the prefix the server may still hold in its prefix cache;
 * - the server's `usage.prompt_tokens_details.cached_tokens`, when it reports it: how much of that prefix the
 *   server actually served from cache, learned per model as a hit rate (an EWMA, 1 until a report says
 *   otherwise: vLLM and SGLang cache prefixes by default).
 * - for a run's first call, what earlier first calls of the same agent (the same first message, its system
 *   prompt) were reported to find cached: runs of one agent share their system prompt and tool schemas,
 *   which the server keeps cached while the agent is busy (an EWMA of the reported `cached_tokens`; 0 until
 *   a report, and for an agent whose first message is not a shared string).
 * Nothing here reads a workload's script or the engine's token ids.
 */
import type { CallSpec } from "../scheduler/types.js";
import { TokenCalibrator } from "./calibrator.js";
import { type ConversationSize, DEFAULT_CHARS_PER_TOKEN, rawPromptTokens } from "./conversation.js";

/** Options of {@link CallAccounting}. */
export interface CallAccountingOptions {
  /** Characters per token of the raw estimate, > 0. @default 4 */
  charsPerToken?: number;
  /** Weight of each new observation in the per-model EWMAs (token ratio, cache hit rate), in (0, 1]. @default 0.2 */
  ratioAlpha?: number;
}

/** A call as planned before it is sent: what the scheduler is told, and what {@link CallAccounting.settle} needs. */
export interface PlannedCall {
  readonly model: string;
  /** Prompt tokens of the call (whole context), estimated. */
  readonly promptTokens: number;
  /** Prompt tokens the server probably serves from its prefix cache. <= `promptTokens`. */
  readonly cachedPromptTokens: number;
  /** The raw (uncalibrated) estimate of the whole prompt. */
  readonly rawPromptTokens: number;
  /** The previous call's prompt + output: the prefix the server may hold (before the hit rate). */
  readonly reusablePrefixTokens: number;
  /** The agent's shared first message, on a run's first call (the key of what such calls find cached). */
  readonly head?: string;
}

/** What the server reported about a finished call (OpenAI's `usage`); every field optional. */
export interface ServerUsage {
  /** `usage.prompt_tokens`. */
  promptTokens?: number;
  /** `usage.completion_tokens`. */
  outputTokens?: number;
  /** `usage.prompt_tokens_details.cached_tokens`. */
  cachedPromptTokens?: number;
}

/** What is remembered of a run's last settled call. */
interface LastCall {
  raw: number;
  promptTokens: number;
  /** Whether `promptTokens` is the server's count (an anchor) or our estimate. */
  reported: boolean;
  outputTokens: number;
}

/** Agents (distinct first messages) remembered per model; the oldest is forgotten first. */
const MAX_HEADS = 1024;

function count(value: number | undefined): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * The token accounting of calls, per run. Runs are keyed by object identity (a tracked run, a virtual run's
 * state) in a `WeakMap`, so a run that is dropped is forgotten with it.
 *
 * @example
 * const accounting = new CallAccounting();
 * const planned = accounting.plan(run, "llama-3-8b", conversationSize(messages, toolCharCounts));
 * handle.submit(callSpec(planned), handlers);           // ... the call runs ...
 * accounting.settle(run, planned, { promptTokens: 812, outputTokens: 40, cachedPromptTokens: 768 });
 */
export class CallAccounting {
  readonly charsPerToken: number;
  readonly #alpha: number;
  readonly #calibrator: TokenCalibrator;
  readonly #hitRates = new Map<string, number>();
  /** Per model, per agent head: EWMA of the cached tokens a run's first call was reported. */
  readonly #firstCached = new Map<string, Map<string, number>>();
  readonly #runs = new WeakMap<object, LastCall>();

  constructor(options: CallAccountingOptions = {}) {
    const charsPerToken = options.charsPerToken ?? DEFAULT_CHARS_PER_TOKEN;
    const alpha = options.ratioAlpha ?? 0.2;
    if (!(charsPerToken > 0) || !Number.isFinite(charsPerToken))
      throw new RangeError(`Expected charsPerToken > 0, got ${charsPerToken}`);
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`Expected ratioAlpha in (0, 1], got ${alpha}`);
    this.charsPerToken = charsPerToken;
    this.#alpha = alpha;
    this.#calibrator = new TokenCalibrator(alpha);
  }

  /** The raw estimate of a run's first prompt, for its Stage I features (no model is known yet). */
  runPromptTokens(size: ConversationSize): number {
    return rawPromptTokens(size, this.charsPerToken);
  }

  /** Plans the next call of `run`, which sends `size` to `model`. */
  plan(run: object, model: string, size: ConversationSize): PlannedCall {
    const raw = rawPromptTokens(size, this.charsPerToken);
    const last = this.#runs.get(run);
    if (last === undefined) {
      // A run's first call: charged in full but for what the agent's earlier first calls found cached.
      const promptTokens = this.#calibrator.correct(model, raw);
      const head = size.head;
      const shared = head === undefined ? 0 : (this.#firstCached.get(model)?.get(head) ?? 0);
      return {
        model,
        promptTokens,
        cachedPromptTokens: Math.min(promptTokens, Math.round(shared)),
        rawPromptTokens: raw,
        reusablePrefixTokens: 0,
        ...(head === undefined ? {} : { head }),
      };
    }
    const promptTokens = last.reported
      ? last.promptTokens + this.#calibrator.scale(model, Math.max(0, raw - last.raw))
      : this.#calibrator.correct(model, raw);
    const prefix = last.promptTokens + last.outputTokens;
    return {
      model,
      promptTokens,
      cachedPromptTokens: Math.min(promptTokens, Math.round(prefix * this.hitRate(model))),
      rawPromptTokens: raw,
      reusablePrefixTokens: prefix,
    };
  }

  /**
   * Records what the server reported for a planned call of `run` (call it once the call ended with a
   * response; a failed call leaves the run's last call as it was). Unknown fields are estimated.
   */
  settle(run: object, call: PlannedCall, usage: ServerUsage): void {
    const prompt = count(usage.promptTokens);
    const output = count(usage.outputTokens);
    const cached = count(usage.cachedPromptTokens);
    if (prompt !== undefined) this.#calibrator.learn(call.model, call.rawPromptTokens, prompt);
    if (cached !== undefined && call.reusablePrefixTokens > 0) {
      const hit = Math.min(1, cached / call.reusablePrefixTokens);
      this.#hitRates.set(call.model, this.#ewma(this.#hitRates.get(call.model), hit));
    }
    if (cached !== undefined && call.head !== undefined) this.#learnFirst(call.model, call.head, cached);
    this.#runs.set(run, {
      raw: call.rawPromptTokens,
      promptTokens: prompt ?? call.promptTokens,
      reported: prompt !== undefined,
      outputTokens: output ?? 0,
    });
  }

  #ewma(previous: number | undefined, sample: number): number {
    return previous === undefined ? sample : previous + this.#alpha * (sample - previous);
  }

  /** Learns what a run's first call of the agent `head` found cached (at most MAX_HEADS agents per model). */
  #learnFirst(model: string, head: string, cached: number): void {
    let heads = this.#firstCached.get(model);
    if (heads === undefined) {
      heads = new Map();
      this.#firstCached.set(model, heads);
    }
    const previous = heads.get(head);
    if (previous === undefined && heads.size >= MAX_HEADS) {
      const oldest = heads.keys().next().value;
      if (oldest !== undefined) heads.delete(oldest);
    }
    heads.set(head, this.#ewma(previous, cached));
  }

  /** The learned ratio of reported to raw prompt tokens of a model (1 before any report). */
  ratio(model: string): number {
    return this.#calibrator.ratio(model);
  }

  /** The learned share of a run's previous prompt and output that the server serves from cache (1 before any report). */
  hitRate(model: string): number {
    return this.#hitRates.get(model) ?? 1;
  }
}

/** The scheduler's `CallSpec` of a planned call. */
export function callSpec(call: PlannedCall): Required<Pick<CallSpec, "promptTokens" | "cachedPromptTokens">> {
  return { promptTokens: call.promptTokens, cachedPromptTokens: call.cachedPromptTokens };
}
