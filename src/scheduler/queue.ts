/**
 * The queue of calls waiting for admission. It owns order only (as vLLM's request queue): which call is
 * next, never whether it fits.
 *
 * Structures, every operation O(log n) or better in queued calls (T tenants add O(log T)):
 * - `tenants`: the ranked (not promoted) calls, one indexed min-heap per tenant on (tier, key, callId) and
 *   the fair-share choice between tenants ({@link TenantQueues}). The policy writes `tier` and `key`; keys
 *   are time-invariant (aging is folded in as `w * enqueuedAt`), so they change only at known moments: an
 *   estimate update, a deadline passing, a scoring epoch.
 * - `#deadlines`: indexed min-heap on `transitionAt`, the next time a call's key changes by itself (its run
 *   becomes hopeless, its cached prefix expires). {@link CallQueue.takeDue} hands those calls back to be
 *   re-scored: lazy re-scoring, no timers.
 * - `#arrivals`: an intrusive list of the ranked calls in arrival order. The clock is monotonic and calls are
 *   appended on arrival, so its head is the longest-waiting call: the starvation check is O(1) per promoted
 *   call.
 * - `#viable`: an intrusive list of the ranked calls that can still meet their SLO (not hopeless). A scoring
 *   epoch (a learned rate drifted, the server pressure level changed) re-scores them incrementally, a few per
 *   operation ({@link CallQueue.rescoreSome}), newest first: no operation pays for the whole queue. Hopeless
 *   calls keep the keys they had; their order among themselves matters little and their number is what
 *   grows under a long overload.
 * - `#lane`: the liveness lane, calls of runs that starved (waited longer than the bound), oldest run first
 *   (then call id), so that starving runs are finished one after another instead of all advanced a little.
 */
import { ARRIVAL_LINKS, CallList, VIABLE_LINKS } from "./call-list.js";
import type { CallRecord } from "./call-record.js";
import { IndexedHeap } from "./heap.js";
import { TenantQueues } from "./tenants.js";
import { isViableTier } from "./tiers.js";

const viable = (call: CallRecord) => isViableTier(call.tier);

export class CallQueue {
  /** The ranked calls and the fair-share choice between tenants. */
  readonly tenants: TenantQueues;
  readonly #deadlines = new IndexedHeap<CallRecord>(
    { primary: (c) => c.transitionAt, secondary: (c) => c.callId, tie: () => 0 },
    {
      get: (c) => c.deadlineIndex,
      set: (c, i) => {
        c.deadlineIndex = i;
      },
    },
  );
  readonly #lane = new IndexedHeap<CallRecord>(
    { primary: (c) => c.run.arrivalAt, secondary: (c) => c.callId, tie: () => 0 },
    {
      get: (c) => c.laneIndex,
      set: (c, i) => {
        c.laneIndex = i;
      },
    },
  );
  readonly #arrivals = new CallList(ARRIVAL_LINKS);
  readonly #viable = new CallList(VIABLE_LINKS);
  #epoch = 0;
  #version = 0;
  /** The epoch the current re-scoring walk started in; the walk is done when it ends in the same epoch. */
  #walkEpoch = 0;
  #walking = false;
  /** Next viable call the walk visits (it goes from the newest to the oldest). */
  #cursor: CallRecord | null = null;

  /** `indexed`: keep per-tenant order indexes with token sums (overload shedding). */
  constructor(indexed: boolean) {
    this.tenants = new TenantQueues(indexed);
  }

  /** Queued calls, ranked or in the lane. */
  get size(): number {
    return this.tenants.size + this.#lane.size;
  }

  /** Ranked calls whose runs can still meet their SLO. */
  get viableSize(): number {
    return this.#viable.size;
  }

  /** Calls in the liveness lane. */
  get promotedSize(): number {
    return this.#lane.size;
  }

  /** Current scoring epoch; a call scored in it has `scoredEpoch === epoch`. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Bumped by every change of order or content: admission need not be retried while it stays. */
  get version(): number {
    return this.#version;
  }

  /** Whether an incremental re-scoring walk is pending. */
  get rescoring(): boolean {
    return this.#walking;
  }

  /** Adds a scored call (its `tenant`, `key`, `tier`, `transitionAt` set). O(log n). */
  add(call: CallRecord): void {
    this.#version += 1;
    if (call.promoted) {
      this.#lane.push(call);
      return;
    }
    this.tenants.add(call);
    if (call.transitionAt !== Number.POSITIVE_INFINITY) this.#deadlines.push(call);
    this.#arrivals.append(call);
    if (viable(call)) this.#viable.append(call);
  }

  /** Removes a queued call wherever it is. O(log n). */
  remove(call: CallRecord): void {
    this.#version += 1;
    if (call.promoted) {
      this.#lane.remove(call);
      return;
    }
    this.#unrank(call);
  }

  /** The best call of the lane (oldest starving run), if any. O(1). */
  peekLane(): CallRecord | undefined {
    return this.#lane.peek();
  }

  /** The best ranked call under fair sharing of `budget` between tenants. Amortised O(log n). */
  bestRanked(budget: number): CallRecord | undefined {
    return this.tenants.best(budget);
  }

  /** Restores order after the policy re-scored `call`. O(log n). */
  rekey(call: CallRecord): void {
    if (call.promoted) return;
    this.#version += 1;
    this.tenants.rekey(call);
    const inDeadlines = this.#deadlines.has(call);
    if (call.transitionAt === Number.POSITIVE_INFINITY) {
      if (inDeadlines) this.#deadlines.remove(call);
    } else if (inDeadlines) this.#deadlines.update(call);
    else this.#deadlines.push(call);
    if (!viable(call) && this.#viable.has(call)) this.#unlinkViable(call);
  }

  /**
   * Moves every ranked call that has waited longer than `maxWaitMs` (strictly) to the lane, oldest first,
   * calling `onPromote` for each; returns how many. O(log n) per promoted call, O(1) when none.
   */
  promoteStarved(now: number, maxWaitMs: number, onPromote: (call: CallRecord) => void): number {
    let count = 0;
    for (let call = this.#arrivals.head; call !== null && now - call.enqueuedAt > maxWaitMs; ) {
      const next = call.next;
      this.#version += 1;
      this.#unrank(call);
      call.promoted = true;
      call.transitionAt = Number.POSITIVE_INFINITY;
      this.#lane.push(call);
      onPromote(call);
      count += 1;
      call = next;
    }
    return count;
  }

  /** Removes from the deadline heap and returns the next call whose `transitionAt <= now`, if any. */
  takeDue(now: number): CallRecord | undefined {
    const top = this.#deadlines.peek();
    if (top === undefined || top.transitionAt > now) return undefined;
    this.#deadlines.remove(top);
    return top;
  }

  /**
   * Starts a scoring epoch: every viable call scored before now is stale and will be re-scored by
   * {@link CallQueue.rescoreSome}. A walk in progress continues and goes round once more.
   */
  startRescore(): void {
    this.#epoch += 1;
    if (this.#walking) return;
    this.#walking = true;
    this.#walkEpoch = this.#epoch;
    this.#cursor = this.#viable.tail;
  }

  /**
   * Re-scores up to `limit` stale viable calls with `score` (which must set `scoredEpoch`), newest first.
   * O(limit log n); visits skipped (already fresh) calls at O(1) each, at most `4 x limit` of them.
   */
  rescoreSome(limit: number, score: (call: CallRecord) => void): void {
    let rescored = 0;
    for (let visits = 4 * limit; this.#walking && rescored < limit && visits > 0; visits--) {
      const call = this.#cursor;
      if (call === null) {
        if (this.#walkEpoch === this.#epoch) this.#walking = false;
        else {
          this.#walkEpoch = this.#epoch;
          this.#cursor = this.#viable.tail;
        }
        continue;
      }
      this.#cursor = call.viablePrev;
      if (call.scoredEpoch === this.#epoch) continue;
      score(call);
      this.rekey(call);
      rescored += 1;
    }
  }

  /** Checks every structure; for tests. O(n). */
  isValid(): boolean {
    let viableCount = 0;
    for (let c = this.#viable.head; c !== null; c = c.viableNext) {
      if (!viable(c) || c.promoted) return false;
      viableCount += 1;
    }
    return (
      this.tenants.isValid() &&
      this.#deadlines.isValid() &&
      this.#lane.isValid() &&
      this.tenants.size === this.#arrivals.size &&
      viableCount === this.#viable.size
    );
  }

  #unrank(call: CallRecord): void {
    this.tenants.remove(call);
    this.#deadlines.remove(call);
    this.#arrivals.remove(call);
    if (this.#viable.has(call)) this.#unlinkViable(call);
  }

  #unlinkViable(call: CallRecord): void {
    if (this.#cursor === call) this.#cursor = call.viablePrev;
    this.#viable.remove(call);
  }
}
