/**
 * The online cost model of the server: how long one uncached prompt token takes to prefill and one output
 * token takes to decode, learned from what the client measures in its own streams.
 *
 * - prefill: TTFT of a call (dispatch -> first token) / its uncached prompt tokens, for calls with at least
 *   {@link MIN_PREFILL_TOKENS} uncached tokens (below that, queueing and network time dominate the TTFT);
 * - decode: the gap between two `onTokens` reports / the tokens reported.
 *
 * Each rate is an EWMA, clamped to [prior / 100, prior * 100] so a burst of nonsense samples (a stalled
 * stream, a clock jump) cannot drive it to 0 or infinity. The scheduler re-scores its queue when a rate has
 * drifted by more than `rescoreDrift` since the last re-scoring (an epoch), not on every sample.
 *
 * Not the simulator's `CostModel` (sim/engine/cost-model.ts), which is the simulated server's step-time law:
 * this one is what the client learns of any server, sim or real.
 */
import type { CostModelOptions } from "./options.js";

/** Calls with fewer uncached prompt tokens do not teach the prefill rate. */
export const MIN_PREFILL_TOKENS = 64;
const CLAMP = 100;

export class CostModel {
  readonly #options: CostModelOptions;
  #prefill: number;
  #decode: number;
  #epochPrefill: number;
  #epochDecode: number;
  #epochAt = Number.NEGATIVE_INFINITY;

  constructor(options: CostModelOptions) {
    this.#options = options;
    this.#prefill = options.prefillMsPerToken;
    this.#decode = options.decodeMsPerToken;
    this.#epochPrefill = this.#prefill;
    this.#epochDecode = this.#decode;
  }

  /** Learned prefill time per uncached prompt token, ms. */
  get prefillMsPerToken(): number {
    return this.#prefill;
  }

  /** Learned decode time per output token, ms. */
  get decodeMsPerToken(): number {
    return this.#decode;
  }

  /** Server time of one call: prefill of its uncached prompt plus decode of its output, ms. */
  callMs(uncachedPromptTokens: number, outputTokens: number): number {
    return this.#prefill * uncachedPromptTokens + this.#decode * outputTokens;
  }

  /** Learns from a measured TTFT (ms from dispatch) of a call with `uncachedPromptTokens`. */
  observeTtft(ttftMs: number, uncachedPromptTokens: number): void {
    if (!(ttftMs >= 0) || !Number.isFinite(ttftMs) || uncachedPromptTokens < MIN_PREFILL_TOKENS) return;
    this.#prefill = this.#learn(
      this.#prefill,
      ttftMs / uncachedPromptTokens,
      this.#options.prefillMsPerToken,
    );
  }

  /** Learns from `tokens` output tokens that arrived `gapMs` after the previous ones. */
  observeDecode(gapMs: number, tokens: number): void {
    if (!(gapMs >= 0) || !Number.isFinite(gapMs) || !(tokens > 0)) return;
    this.#decode = this.#learn(this.#decode, gapMs / tokens, this.#options.decodeMsPerToken);
  }

  /**
   * Whether the rates drifted enough since the last epoch for a full re-scoring to be worth its O(n);
   * when it returns true a new epoch starts at `now`.
   */
  takeEpoch(now: number): boolean {
    const { rescoreDrift, rescoreMinIntervalMs } = this.#options;
    if (now - this.#epochAt < rescoreMinIntervalMs) return false;
    const drift = Math.max(
      Math.abs(this.#prefill / this.#epochPrefill - 1),
      Math.abs(this.#decode / this.#epochDecode - 1),
    );
    if (drift <= rescoreDrift) return false;
    this.#epochPrefill = this.#prefill;
    this.#epochDecode = this.#decode;
    this.#epochAt = now;
    return true;
  }

  #learn(current: number, sample: number, prior: number): number {
    const rate = this.#options.learningRate;
    const next = current + rate * (sample - current);
    return Math.min(prior * CLAMP, Math.max(prior / CLAMP, next));
  }
}
