/**
 * `LlamaEngine`: real token generation over node-llama-cpp with llama.cpp server's slot model.
 *
 * One context holds `parallel` sequences; node-llama-cpp gathers the pending tokens of every sequence into
 * one `llama_decode` per step (continuous batching: a new prompt's prefill rides with the others' decode
 * tokens, up to the batch size). Requests beyond `parallel` wait in FIFO order. Each request reuses the KV
 * its slot already holds for the longest common prefix of its prompt (the prefix-cache hit), erases the
 * rest, prefills the remainder and decodes exactly `maxTokens` tokens greedily (an end-of-generation token
 * does not stop it: the caller decides the length). Abort stops decoding after the current step and frees
 * the slot; every request releases its slot exactly once.
 */
import type { LoadedModel, Token } from "./llama.js";
import { commonPrefix, type Slot, SlotPool } from "./slots.js";

export interface GenerationRequest {
  /** The whole prompt, BOS included. */
  prompt: readonly Token[];
  /** Tokens to decode, >= 1; prompt + maxTokens must fit `contextSize`. */
  maxTokens: number;
  signal: AbortSignal;
  /** The request got a slot; `cachedTokens` of its prompt were already in the slot's KV. */
  onAdmitted?(cachedTokens: number): void;
  /** One decoded token (`index` from 0). */
  onToken(token: Token, index: number): void;
}

export interface GenerationResult {
  /** Tokens decoded (equals `maxTokens` unless aborted). */
  tokens: number;
  cachedTokens: number;
  aborted: boolean;
}

/** Counters and gauges of the engine (llama.cpp server's, plus prefix-cache counts). */
export interface LlamaEngineStats {
  processing: number;
  deferred: number;
  /** KV cells of the requests being processed / all cells (contextSize x parallel). */
  kvCacheUsageRatio: number;
  /** KV cells holding tokens, cached prefixes of free slots included. */
  kvCacheTokens: number;
  promptTokensTotal: number;
  /** Seconds from admission to first token, summed (prefill time). */
  promptSecondsTotal: number;
  tokensPredictedTotal: number;
  /** Seconds of decoding after the first token, summed. */
  tokensPredictedSecondsTotal: number;
  prefixCacheQueriesTotal: number;
  prefixCacheHitsTotal: number;
  requestsTotal: number;
  abortedTotal: number;
}

export class LlamaEngine {
  readonly loaded: LoadedModel;
  readonly contextSize: number;
  readonly parallel: number;
  #pool: SlotPool;
  #active = new Set<Promise<unknown>>();
  #closed = false;
  #stats = {
    promptTokensTotal: 0,
    promptSecondsTotal: 0,
    tokensPredictedTotal: 0,
    tokensPredictedSecondsTotal: 0,
    prefixCacheQueriesTotal: 0,
    prefixCacheHitsTotal: 0,
    requestsTotal: 0,
    abortedTotal: 0,
  };

  constructor(loaded: LoadedModel, contextSize: number) {
    this.loaded = loaded;
    this.contextSize = contextSize;
    this.parallel = loaded.sequences.length;
    this.#pool = new SlotPool(loaded.sequences);
  }

  stats(): LlamaEngineStats {
    let active = 0;
    let held = 0;
    for (const slot of this.#pool.slots) {
      active += slot.activeTokens;
      held += slot.sequence.nextTokenIndex;
    }
    return {
      ...this.#stats,
      processing: this.#pool.processing,
      deferred: this.#pool.deferred,
      kvCacheUsageRatio: active / (this.contextSize * this.parallel),
      kvCacheTokens: held,
    };
  }

  /** Queues a request (FIFO beyond `parallel`) and decodes it. Rejects only on engine failure or close. */
  generate(request: GenerationRequest): Promise<GenerationResult> {
    if (this.#closed) return Promise.reject(new Error("engine closed"));
    const run = this.#run(request);
    this.#active.add(run);
    void run.finally(() => this.#active.delete(run)).catch(() => {});
    return run;
  }

  async #run(request: GenerationRequest): Promise<GenerationResult> {
    this.#stats.requestsTotal++;
    let slot: Slot;
    try {
      slot = await this.#pool.acquire(request.prompt, request.signal);
    } catch (error) {
      if (!request.signal.aborted) throw error;
      this.#stats.abortedTotal++;
      return { tokens: 0, cachedTokens: 0, aborted: true };
    }
    try {
      return await this.#decode(slot, request);
    } finally {
      this.#pool.release(slot);
    }
  }

  async #decode(slot: Slot, request: GenerationRequest): Promise<GenerationResult> {
    const { prompt, maxTokens, signal } = request;
    const sequence = slot.sequence;
    // Keep at least the prompt's last token to evaluate: its logits give the first output token.
    const cached = Math.min(commonPrefix(sequence.contextTokens, prompt), prompt.length - 1);
    if (cached < sequence.nextTokenIndex) {
      await sequence.eraseContextTokenRanges([{ start: cached, end: sequence.nextTokenIndex }]);
    }
    slot.activeTokens = prompt.length;
    this.#stats.promptTokensTotal += prompt.length;
    this.#stats.prefixCacheQueriesTotal += prompt.length;
    this.#stats.prefixCacheHitsTotal += cached;
    request.onAdmitted?.(cached);
    const admitted = performance.now();
    let firstAt = admitted;
    let produced = 0;
    if (!signal.aborted) {
      const tokens = sequence.evaluate(prompt.slice(cached) as Token[], {
        temperature: 0,
        yieldEogToken: true,
      });
      this.loaded.gate.begin();
      try {
        for await (const token of tokens) {
          if (produced === 0) {
            firstAt = performance.now();
            this.#stats.promptSecondsTotal += (firstAt - admitted) / 1000;
          }
          slot.activeTokens++;
          request.onToken(token, produced++);
          if (produced >= maxTokens || signal.aborted) break;
        }
      } finally {
        this.loaded.gate.end();
      }
    }
    this.#stats.tokensPredictedTotal += produced;
    if (produced > 1) this.#stats.tokensPredictedSecondsTotal += (performance.now() - firstAt) / 1000;
    const aborted = produced < maxTokens;
    if (aborted) this.#stats.abortedTotal++;
    return { tokens: produced, cachedTokens: cached, aborted };
  }

  /** Aborts queued requests, waits for running ones to stop (their callers abort them), frees the model. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#pool.rejectWaiting(new Error("engine closed"));
    await Promise.allSettled([...this.#active]);
    await this.loaded.dispose();
  }
}
