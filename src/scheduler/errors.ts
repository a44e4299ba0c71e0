/**
 * Errors of the scheduler. Each is a named, exported class with typed fields, for `instanceof` checks.
 */
import type { ZodError } from "zod";
// util/'s files, not its index: the scheduler stays free of util/prometheus.ts (prom-client).
import { AugServeError, OptionsError } from "../util/errors.js";
import { type OptionIssue, optionIssueLines } from "../util/validate.js";

/** The options given to `createScheduler` (or a budget controller) are invalid. */
export class SchedulerOptionsError extends OptionsError {
  static override readonly code = "SCHEDULER_OPTIONS";
  override readonly name = "SchedulerOptionsError";
  /** Dotted path of the first invalid field, e.g. `budget.minTokens`. Empty for the options object itself. */
  readonly field: string;

  /** `issues` as `parseWith` describes them; without them, zod's own from `cause`. */
  constructor(field: string, detail: string, cause: ZodError, issues?: readonly OptionIssue[]) {
    super(
      `Invalid scheduler option \`${field || "(options)"}\`: ${detail}`,
      optionIssueLines(cause, issues, "(options)"),
      { cause },
    );
    this.field = field;
  }
}

/** `call()`/`submit()` found the queue at its `maxQueueLength`; the call was rejected at once. */
export class QueueFullError extends AugServeError {
  static override readonly code = "SCHEDULER_QUEUE_FULL";
  override readonly name = "QueueFullError";
  /** The configured `maxQueueLength`. */
  readonly limit: number;
  readonly runId: string;

  constructor(limit: number, runId: string) {
    super(
      `Scheduler queue is full: expected fewer than ${limit} queued calls (maxQueueLength), run ${runId}`,
    );
    this.limit = limit;
    this.runId = runId;
  }
}

/**
 * Overload control (`overload: "shed"`): a new run could not start within its TTFT target given the work
 * queued ahead of it, so it was refused at once instead of queued. A web app turns it into "busy, try
 * again"; the gateway into HTTP 429 with `Retry-After`. Refused runs count as SLO misses.
 */
export class AugServeOverloadedError extends AugServeError {
  static override readonly code = "SCHEDULER_OVERLOADED";
  override readonly name = "AugServeOverloadedError";
  readonly runId: string;
  /** Predicted wait before the run's first call would be admitted, ms. */
  readonly predictedWaitMs: number;
  /** The limit it was compared with (the part of the run's TTFT target left for queueing), ms. */
  readonly limitMs: number;
  /** A hint for when to try again, ms (at least 1). */
  readonly retryAfterMs: number;

  constructor(runId: string, predictedWaitMs: number, limitMs: number, retryAfterMs: number) {
    super(
      `Server overloaded: run ${runId} would wait about ${Math.round(predictedWaitMs)} ms for admission, ` +
        `expected at most ${Math.round(limitMs)} ms (what its TTFT target leaves for queueing); ` +
        `retry in ~${Math.round(retryAfterMs)} ms`,
    );
    this.runId = runId;
    this.predictedWaitMs = predictedWaitMs;
    this.limitMs = limitMs;
    this.retryAfterMs = Math.max(1, retryAfterMs);
  }
}

/** Why a queued call was cancelled before it was admitted. */
export type CancelReason = "cancelled" | "run-ended";

/**
 * A queued call was removed before admission: `QueuedCall.cancel()` was called, or its run ended.
 * (A call aborted through its `AbortSignal` rejects with the signal's own reason instead.)
 */
export class CallCancelledError extends AugServeError {
  static override readonly code = "SCHEDULER_CALL_CANCELLED";
  override readonly name = "CallCancelledError";
  readonly reason: CancelReason;
  readonly runId: string;
  readonly callId: number;

  constructor(reason: CancelReason, runId: string, callId: number) {
    super(
      reason === "run-ended"
        ? `Call ${callId} of run ${runId} was cancelled while queued: the run ended`
        : `Call ${callId} of run ${runId} was cancelled while queued`,
    );
    this.reason = reason;
    this.runId = runId;
    this.callId = callId;
  }
}

/** `createPolicy` was given a name that is not a policy. */
export class UnknownPolicyError extends AugServeError {
  static override readonly code = "SCHEDULER_UNKNOWN_POLICY";
  override readonly name = "UnknownPolicyError";
  readonly policy: string;
  readonly known: readonly string[];

  constructor(policy: string, known: readonly string[]) {
    super(`Unknown scheduling policy: expected one of ${known.join(", ")}, got \`${policy}\``);
    this.policy = policy;
    this.known = known;
  }
}

/** An internal invariant of the scheduler broke (a bug, never a user error). */
export class SchedulerInvariantError extends AugServeError {
  static override readonly code = "SCHEDULER_INVARIANT";
  override readonly name = "SchedulerInvariantError";
}

/** Throws {@link SchedulerInvariantError} when `condition` is false. */
export function invariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new SchedulerInvariantError(message);
}
