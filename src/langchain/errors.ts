/** Errors of the LangChain integration: named classes with typed fields, exported for `instanceof`. */

/** Options given to `augserve()`, `createAugServe()` or `withAugServe()` failed validation. */
export class AugServeOptionsError extends Error {
  override readonly name = "AugServeOptionsError";
  /** Each problem as `path: message`. */
  readonly issues: readonly string[];

  constructor(issues: readonly string[], cause: unknown) {
    super(`Invalid AugServe options: ${issues.join("; ")}`, { cause });
    this.issues = issues;
  }
}

/** A model call did not finish within `callTimeoutMs` (queue wait and model time together). */
export class AugServeTimeoutError extends Error {
  override readonly name = "AugServeTimeoutError";
  readonly timeoutMs: number;
  /** Whether the call timed out while still queued (`true`) or while the model ran (`false`). */
  readonly whileQueued: boolean;

  constructor(timeoutMs: number, whileQueued: boolean) {
    super(
      `AugServe call exceeded callTimeoutMs=${timeoutMs} ms ${whileQueued ? "while queued for admission" : "while the model ran"}`,
    );
    this.timeoutMs = timeoutMs;
    this.whileQueued = whileQueued;
  }
}
