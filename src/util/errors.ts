/**
 * The one base class of every error AugServe throws, so that a caller can tell AugServe's errors from others
 * (`error instanceof AugServeError`) and branch on a stable `code` instead of a message.
 *
 * Codes are UPPER_SNAKE_CASE, `<PART>_<WHAT>` (`SCHEDULER_QUEUE_FULL`, `WORKLOAD_INVALID`): the part that
 * throws, then what happened. A class's code never changes once released (test/util/errors.test.ts pins the
 * list); a new class gets a new code. Messages may be reworded, codes may not.
 *
 * The one exception is `WireRequestError`, whose instance `code` is the OpenAI error code the server answers
 * with (`invalid_value`, `body_too_large`, ...: lower snake case, one per refusal, also stable); its class
 * code (`WireRequestError.code`) follows the rule above.
 */

/**
 * Base of every AugServe error. `name` is the class's name, `code` the class's stable code (its static
 * `code`), and `cause` the error behind it, when there is one.
 *
 * @example
 * ```ts
 * class QueueFullError extends AugServeError {
 *   static override readonly code = "SCHEDULER_QUEUE_FULL";
 * }
 * try { await scheduler.call(...); }
 * catch (error) { if (error instanceof AugServeError && error.code === "SCHEDULER_QUEUE_FULL") retryLater(); }
 * ```
 */
export class AugServeError extends Error {
  /** The code of this class; each subclass declares its own (see the module comment for the convention). */
  static readonly code: string = "AUGSERVE_ERROR";

  /** Stable, machine-readable code of the error: the class's static `code`. */
  readonly code: string;

  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    // Subclasses also declare `name` as a literal, which survives a bundler renaming classes; this covers any
    // that does not.
    this.name = new.target.name;
    this.code = (new.target as typeof AugServeError).code;
  }
}

/**
 * Base of the errors for input that failed validation at a boundary (options, flags): `issues` lists every
 * problem as `path: message`, `cause` is the `ZodError`. Catch it to handle any part's bad options alike.
 */
export class OptionsError extends AugServeError {
  static override readonly code: string = "OPTIONS";
  /** Every problem found, as `path: message`. */
  readonly issues: readonly string[];

  /**
   * @param message the whole message; {@link OptionsError.describe} writes the usual one.
   * @param issues every problem, as `path: message`.
   */
  constructor(message: string, issues: readonly string[], options?: ErrorOptions) {
    super(message, options);
    this.issues = issues;
  }

  /**
   * The message most options errors carry, `Invalid <subject> options: <issue>; <issue>`, so that every part's
   * bad options read alike.
   */
  static describe(subject: string, issues: readonly string[]): string {
    return `Invalid ${subject} options: ${issues.join("; ")}`;
  }
}
