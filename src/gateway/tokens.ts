/**
 * Prompt tokens without a tokenizer: characters / 4 plus chat-template tokens per message, corrected by
 * the ratio the replicas' reported usage teaches (an EWMA; ratios outside [0.2, 5] are ignored as bad
 * reports), so the budget follows the servers' real counts.
 */

const CHARS_PER_TOKEN = 4;
const TEMPLATE_TOKENS_PER_MESSAGE = 4;
const ALPHA = 0.1;

export class PromptTokenEstimator {
  #ratio = 1;

  /** The raw estimate (before correction) of a prompt of `chars` characters in `messages` messages. */
  raw(chars: number, messages: number): number {
    return Math.ceil(chars / CHARS_PER_TOKEN) + TEMPLATE_TOKENS_PER_MESSAGE * (messages + 1);
  }

  /** The corrected estimate. */
  estimate(raw: number): number {
    return Math.max(1, Math.round(raw * this.#ratio));
  }

  /** Tokens of `chars` characters of prompt (a matched prefix), corrected. */
  tokensOfChars(chars: number): number {
    return Math.round((chars / CHARS_PER_TOKEN) * this.#ratio);
  }

  /** Teach one call: its raw estimate and the prompt tokens the replica reported. */
  learn(raw: number, reported: number | undefined): void {
    if (reported === undefined || !(raw > 0) || !(reported > 0)) return;
    const ratio = reported / raw;
    if (ratio < 0.2 || ratio > 5) return;
    this.#ratio += ALPHA * (ratio - this.#ratio);
  }

  get ratio(): number {
    return this.#ratio;
  }
}
