/**
 * Per-model calibration of the raw token estimate: the ratio of the server's reported prompt tokens
 * (`usage.prompt_tokens`) to the raw estimate, as an EWMA, so that the scheduler's budget tracks the server's
 * real token counts without a tokenizer in the loop.
 */

/** Ratios outside this range are bad reports (a proxy that counts differently, a cached response). */
const MIN_RATIO = 0.2;
const MAX_RATIO = 5;

export class TokenCalibrator {
  readonly #alpha: number;
  readonly #ratios = new Map<string, number>();

  /** @param alpha weight of each new observation, in (0, 1]. */
  constructor(alpha: number) {
    this.#alpha = alpha;
  }

  /** The calibrated estimate of `rawEstimate` for `model`: at least 1 (the raw estimate before any report). */
  correct(model: string, rawEstimate: number): number {
    return Math.max(1, this.scale(model, rawEstimate));
  }

  /** `tokens` of the raw estimate in the model's calibrated tokens, rounded (0 stays 0). */
  scale(model: string, tokens: number): number {
    return Math.round(tokens * (this.#ratios.get(model) ?? 1));
  }

  /**
   * Teach one observation: the raw estimate of a call and the prompt tokens the server reported. A ratio
   * outside [0.2, 5] is ignored, so one odd usage block cannot wreck the budget.
   */
  learn(model: string, rawEstimate: number, reportedPromptTokens: number): void {
    if (!(rawEstimate > 0) || !(reportedPromptTokens > 0)) return;
    const ratio = reportedPromptTokens / rawEstimate;
    if (ratio < MIN_RATIO || ratio > MAX_RATIO) return;
    const previous = this.#ratios.get(model);
    this.#ratios.set(model, previous === undefined ? ratio : previous + this.#alpha * (ratio - previous));
  }

  /** The learned ratio of a model (1 before any observation). */
  ratio(model: string): number {
    return this.#ratios.get(model) ?? 1;
  }
}
