/**
 * Scoring and what time makes due: the policy's keys on queued calls, kept current without timers and
 * without whole-queue passes. Each scheduler operation calls {@link Scorer.maintain} first, which
 * - re-scores the calls whose `transitionAt` passed (deadline heap: a run became hopeless, a cached prefix
 *   expired),
 * - moves the calls that waited longer than `maxWaitMs` to the liveness lane (and latches their runs),
 * - starts a scoring epoch when a learned rate drifted (the pressure level starts one from `observe`), and
 * - re-scores a few stale viable calls of a pending epoch ({@link RESCORE_PER_OPERATION}).
 * Every step is O(log n) per call it touches; none visits the whole queue.
 */
import type { CallRecord } from "./call-record.js";
import type { CostModel } from "./cost-model.js";
import { expectedOutputTokens, type Policy, type ScoreContext } from "./policies.js";
import type { CallQueue } from "./queue.js";

/** Stale viable calls re-scored per operation while a scoring epoch's walk is pending. */
export const RESCORE_PER_OPERATION = 2;

export class Scorer {
  readonly #policy: Policy;
  readonly #ctx: ScoreContext;
  readonly #queue: CallQueue;
  readonly #cost: CostModel;
  /** Keep `queuedCharge` with the key (the overload predictor's token sums need it). */
  readonly #keepCharge: boolean;

  constructor(policy: Policy, ctx: ScoreContext, queue: CallQueue, cost: CostModel, keepCharge: boolean) {
    this.#policy = policy;
    this.#ctx = ctx;
    this.#queue = queue;
    this.#cost = cost;
    this.#keepCharge = keepCharge;
  }

  /** Scores a call for the state at `ctx.now`: the policy's tier and key, the epoch, the queued charge. */
  score(call: CallRecord): void {
    this.#policy.score(call, this.#ctx);
    call.scoredEpoch = this.#queue.epoch;
    if (this.#keepCharge) call.queuedCharge = this.charge(call);
  }

  /** Scores a queued call and restores the queue's order. O(log n). */
  rescore(call: CallRecord): void {
    this.score(call);
    this.#queue.rekey(call);
  }

  /** Tokens `call` is charged if admitted now: uncached prompt + expected output (rounded up). */
  charge(call: CallRecord): number {
    return Math.ceil(call.uncachedPromptTokens + expectedOutputTokens(call, this.#policy.view(call.run)));
  }

  readonly scoreFn = (call: CallRecord): void => this.score(call);
  readonly chargeFn = (call: CallRecord): number => this.charge(call);

  /** A global input of the keys changed (the pressure level): start an epoch if the policy reads it. */
  startEpoch(): void {
    if (this.#policy.usesLiveState) this.#queue.startRescore();
  }

  readonly #onPromote = (call: CallRecord): void => {
    call.run.starving = true;
  };

  /** Applies what time made due at `now` (see the module comment); returns how many calls were promoted. */
  maintain(now: number, maxWaitMs: number): number {
    const queue = this.#queue;
    for (let call = queue.takeDue(now); call; call = queue.takeDue(now)) {
      this.score(call);
      if (call.transitionAt <= now) call.transitionAt = Number.POSITIVE_INFINITY;
      queue.rekey(call);
    }
    const promoted = queue.promoteStarved(now, maxWaitMs, this.#onPromote);
    if (this.#policy.usesLiveState && this.#cost.takeEpoch(now)) queue.startRescore();
    if (queue.rescoring) queue.rescoreSome(RESCORE_PER_OPERATION, this.scoreFn);
    return promoted;
  }
}
