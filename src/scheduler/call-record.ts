/**
 * One call through its whole life: queued (in the queue's heaps and lists), running (holding budget),
 * released. The same object is the `QueuedCall` handed back by `submit` and the `CallTicket` handed to
 * `onAdmit`, so a call costs one allocation; its fields are the scheduler's internal bookkeeping
 * (about 40 slots, ~300 bytes: bounded memory per queued call).
 */
import type { OrderNode } from "./order-index.js";
import type { RunState } from "./run-state.js";
import type { Tenant } from "./tenants.js";
import type { CallResult, CallTicket, QueuedCall, SubmitHandlers } from "./types.js";

/** The scheduler side of a call: the transitions live in the scheduler, in one place each. */
export interface CallHost {
  cancel(call: CallRecord): void;
  firstToken(call: CallRecord): void;
  tokens(call: CallRecord, count: number): void;
  setResult(call: CallRecord, result: CallResult): void;
  release(call: CallRecord, outcome: "ok" | "error" | "aborted", result?: CallResult): void;
}

/** Life-cycle states of a call. */
export const CallState = { Queued: 0, Running: 1, Released: 2, Rejected: 3 } as const;
export type CallState = (typeof CallState)[keyof typeof CallState];

/** A never-aborted signal shared by calls whose caller gave none. */
const NEVER_ABORTED: AbortSignal = new AbortController().signal;

export class CallRecord implements QueuedCall, CallTicket {
  readonly callId: number;
  readonly run: RunState;
  readonly #host: CallHost;
  handlers: SubmitHandlers | null;
  readonly callerSignal: AbortSignal | null;
  state: CallState = CallState.Queued as CallState;

  // Token accounting, fixed at submit.
  readonly promptTokens: number;
  readonly cachedPromptTokens: number;
  /** The caller's expected output tokens, or NaN to follow the run's estimate. */
  readonly specOutputTokens: number;

  // Ordering (owned by the queue and the policy).
  readonly enqueuedAt: number;
  key = 0;
  /**
   * Rank tier, lower first: `TIERS_PER_CLASS` x class (interactive 0, background 1) + stage (committed,
   * viable, hopeless; see tiers.ts).
   */
  tier = 0;
  /** In the liveness lane: it (or an earlier call of its run) waited longer than `maxWaitMs`. */
  promoted = false;
  /** Next time its key changes by itself (deadline heap); Infinity when never. */
  transitionAt = Number.POSITIVE_INFINITY;
  /** Scoring epoch of its key (see `CallQueue.startRescore`). */
  scoredEpoch = 0;
  /** Tokens it would be charged if admitted now (kept with the key, for the overload predictor). */
  queuedCharge = 0;
  /** Its tenant while queued or in flight. */
  tenant: Tenant | null = null;
  rankIndex = -1;
  deadlineIndex = -1;
  laneIndex = -1;
  /** Arrival-ordered list of ranked calls. */
  prev: CallRecord | null = null;
  next: CallRecord | null = null;
  /** List of viable (even-tier) ranked calls, walked by incremental re-scoring. */
  viablePrev: CallRecord | null = null;
  viableNext: CallRecord | null = null;
  /** Node in its tenant's order index (overload "shed" only). */
  orderNode: OrderNode | null = null;

  // Running.
  charge = 0;
  priority = 0;
  admittedAt = 0;
  firstTokenAt = -1;
  lastTokenAt = -1;
  outputTokens = 0;
  result: CallResult | null = null;

  constructor(
    host: CallHost,
    callId: number,
    run: RunState,
    spec: { promptTokens: number; cachedPromptTokens: number; specOutputTokens: number },
    handlers: SubmitHandlers,
    signal: AbortSignal | null,
    now: number,
  ) {
    this.#host = host;
    this.callId = callId;
    this.run = run;
    this.promptTokens = spec.promptTokens;
    this.cachedPromptTokens = spec.cachedPromptTokens;
    this.specOutputTokens = spec.specOutputTokens;
    this.handlers = handlers;
    this.callerSignal = signal;
    this.enqueuedAt = now;
  }

  get runId(): string {
    return this.run.id;
  }

  get signal(): AbortSignal {
    return this.callerSignal ?? NEVER_ABORTED;
  }

  /** Prompt tokens the server must prefill. */
  get uncachedPromptTokens(): number {
    return this.promptTokens - this.cachedPromptTokens;
  }

  cancel(): void {
    this.#host.cancel(this);
  }

  onFirstToken(): void {
    this.#host.firstToken(this);
  }

  onTokens(count: number): void {
    this.#host.tokens(this, count);
  }

  setResult(result: CallResult): void {
    this.#host.setResult(this, result);
  }

  complete(result?: CallResult): void {
    this.#host.release(this, "ok", result);
  }

  fail(reason: "error" | "aborted"): void {
    this.#host.release(this, reason === "aborted" ? "aborted" : "error");
  }
}
