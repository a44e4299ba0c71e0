/**
 * Errors of the LangChain integration: named classes with typed fields, exported for `instanceof`.
 *
 * At the agent level LangChain wraps whatever a middleware throws in its `MiddlewareError` (same `name` and
 * `message`, the original as `cause`), once per middleware it passes through. {@link findAugServeError} walks
 * that chain back to the AugServe error, with its typed fields.
 */
import {
  AugServeOverloadedError,
  CallCancelledError,
  QueueFullError,
  SchedulerOptionsError,
} from "../scheduler/errors.js";
import { AugServeError, OptionsError } from "../util/index.js";

/** Options given to `augserve()`, `createAugServe()` or `withAugServe()` failed validation. */
export class AugServeOptionsError extends OptionsError {
  static override readonly code = "LANGCHAIN_OPTIONS";
  override readonly name = "AugServeOptionsError";

  /** @param issues each problem as `path: message`. */
  constructor(issues: readonly string[], cause: unknown) {
    super(OptionsError.describe("AugServe", issues), issues, { cause });
  }
}

/** A model call did not finish within `callTimeoutMs` (queue wait and model time together). */
export class AugServeTimeoutError extends AugServeError {
  static override readonly code = "LANGCHAIN_TIMEOUT";
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

/**
 * The server's response ended before it was complete: an OpenAI-compatible response without a finish reason
 * (a stream cut before its last chunk and `[DONE]`). LangChain returns such a partial message as if it were
 * whole; AugServe fails the call instead, so that it counts as a failure and nothing is learned from it.
 */
export class AugServeIncompleteResponseError extends AugServeError {
  static override readonly code = "LANGCHAIN_INCOMPLETE_RESPONSE";
  override readonly name = "AugServeIncompleteResponseError";
  /** The model the call went to. */
  readonly model: string;
  /** Characters of text that did arrive. */
  readonly partialChars: number;

  constructor(model: string, partialChars: number, options?: { cause?: unknown }) {
    super(
      `The response of model \`${model}\` ended without a finish reason (a stream cut before its end, ` +
        `after ${partialChars} characters): expected a complete response, treating the call as failed`,
      options,
    );
    this.model = model;
    this.partialChars = partialChars;
  }
}

/** `withAugServe()` (or `AugServe.wrap()`) was given something that is not a chat model. */
export class AugServeInvalidModelError extends AugServeError {
  static override readonly code = "LANGCHAIN_INVALID_MODEL";
  override readonly name = "AugServeInvalidModelError";
  /** What was given, described. */
  readonly got: string;

  constructor(got: string) {
    super(
      `withAugServe() expected a chat model (a BaseChatModel such as ChatOpenAI, or a Runnable from its ` +
        `bindTools()/withConfig() with an invoke() method), got ${got}`,
    );
    this.got = got;
  }
}

/** A new run was begun after `AugServe.drain()`: the instance is shutting down and takes no new runs. */
export class AugServeDrainingError extends AugServeError {
  static override readonly code = "LANGCHAIN_DRAINING";
  override readonly name = "AugServeDrainingError";

  constructor() {
    super(
      "AugServe is draining (drain() was called): expected no new runs, got one; runs already begun go on",
    );
  }
}

/** The error classes of AugServe (this module's and the scheduler's) that can reach an agent's caller. */
export const AUGSERVE_ERROR_CLASSES = [
  AugServeTimeoutError,
  AugServeIncompleteResponseError,
  AugServeDrainingError,
  AugServeOverloadedError,
  QueueFullError,
  CallCancelledError,
  AugServeOptionsError,
  AugServeInvalidModelError,
  SchedulerOptionsError,
] as const;

/**
 * The AugServe errors that can reach an agent's caller (what {@link findAugServeError} finds). Every error of
 * AugServe extends {@link AugServeError}; these are the ones a middleware call can end in.
 */
export type AugServeCallerError = InstanceType<(typeof AUGSERVE_ERROR_CLASSES)[number]>;

// Re-exported under its old home: `AugServeError` was the union above, and is now the base class of them all.
export { AugServeError };

/** At most this many links of a `cause` chain are followed (a cycle cannot loop forever). */
const MAX_CAUSE_DEPTH = 32;

/** The first error of `error`'s cause chain (breadth first, `AggregateError.errors` included) that `match`es. */
function searchCauses<T>(error: unknown, match: (candidate: unknown) => candidate is T): T | undefined {
  const pending: unknown[] = [error];
  for (let seen = 0; pending.length > 0 && seen < MAX_CAUSE_DEPTH; seen++) {
    const current = pending.shift();
    if (match(current)) return current;
    if (current instanceof AggregateError) pending.push(...current.errors);
    if (current instanceof Error && current.cause !== undefined) pending.push(current.cause);
  }
  return undefined;
}

/**
 * The first error in `error`'s `cause` chain (itself included; `AggregateError.errors` searched too) that is
 * an instance of `type`, or undefined. Use it on what an agent's `invoke()` rejects with, where LangChain has
 * wrapped the original in one `MiddlewareError` per middleware.
 *
 * @example
 * ```ts
 * try { await agent.invoke(input); }
 * catch (error) {
 *   const overloaded = findError(error, AugServeOverloadedError);
 *   if (overloaded) return reply(429, { retryAfterMs: overloaded.retryAfterMs });
 *   throw error;
 * }
 * ```
 */
export function findError<T>(error: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  return searchCauses(error, (candidate): candidate is T => candidate instanceof type);
}

/**
 * The AugServe error (time-out, overload, full queue, cancelled call, incomplete response, draining, bad
 * options or model) behind `error`, unwrapping LangChain's `MiddlewareError`s; undefined when there is none.
 *
 * @example
 * ```ts
 * const cause = findAugServeError(error);
 * if (cause instanceof AugServeTimeoutError) console.warn(`timed out after ${cause.timeoutMs} ms`);
 * ```
 */
export function findAugServeError(error: unknown): AugServeCallerError | undefined {
  return searchCauses(error, (candidate): candidate is AugServeCallerError =>
    AUGSERVE_ERROR_CLASSES.some((type) => candidate instanceof type),
  );
}
