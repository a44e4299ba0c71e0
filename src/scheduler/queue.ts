/**
 * The queue of calls waiting for admission. It owns order only (as vLLM's request queue): which call is
 * next, never whether it fits.
 *
 * Four structures, every operation O(log n) or better in queued calls:
 * - `#rank`: indexed min-heap on (tier, key, callId) of the calls not promoted (a total order, hence
 *   deterministic). The policy writes `tier` and
 *   `key`; keys are time-invariant (aging is folded in as `w * enqueuedAt`), so they change only at known
 *   moments: an estimate update, a deadline passing, a scoring epoch.
 * - `#deadlines`: indexed min-heap on `transitionAt`, the next time a call's key changes by itself (its run
 *   becomes hopeless, its cached prefix expires). {@link CallQueue.takeDue} hands those calls back to be
 *   re-scored: lazy re-scoring, no timers.
 * - `#arrivals`: an intrusive doubly linked list of the same calls in arrival order. The clock is monotonic
 *   and calls are appended on arrival, so its head is the longest-waiting call: the starvation check is O(1)
 *   per promoted call.
 * - `#promoted`: an intrusive list of calls that waited longer than the bound, in arrival order (they are
 *   promoted oldest first); served before any call of `#rank`, FCFS among themselves.
 */
import type { CallRecord } from "./call-record.js";
import { IndexedHeap } from "./heap.js";

class CallList {
  head: CallRecord | null = null;
  tail: CallRecord | null = null;
  size = 0;

  append(call: CallRecord): void {
    call.prev = this.tail;
    call.next = null;
    if (this.tail) this.tail.next = call;
    else this.head = call;
    this.tail = call;
    this.size += 1;
  }

  remove(call: CallRecord): void {
    if (call.prev) call.prev.next = call.next;
    else this.head = call.next;
    if (call.next) call.next.prev = call.prev;
    else this.tail = call.prev;
    call.prev = null;
    call.next = null;
    this.size -= 1;
  }
}

export class CallQueue {
  readonly #rank = new IndexedHeap<CallRecord>(
    { primary: (c) => c.tier, secondary: (c) => c.key, tie: (c) => c.callId },
    {
      get: (c) => c.rankIndex,
      set: (c, i) => {
        c.rankIndex = i;
      },
    },
  );
  readonly #deadlines = new IndexedHeap<CallRecord>(
    { primary: (c) => c.transitionAt, secondary: (c) => c.callId, tie: () => 0 },
    {
      get: (c) => c.deadlineIndex,
      set: (c, i) => {
        c.deadlineIndex = i;
      },
    },
  );
  readonly #arrivals = new CallList();
  readonly #promoted = new CallList();

  /** Queued calls, promoted or not. */
  get size(): number {
    return this.#arrivals.size + this.#promoted.size;
  }

  get promotedSize(): number {
    return this.#promoted.size;
  }

  /** Adds a scored call (its `key`, `tier`, `transitionAt` set). O(log n). */
  add(call: CallRecord): void {
    this.#rank.push(call);
    if (call.transitionAt !== Number.POSITIVE_INFINITY) this.#deadlines.push(call);
    this.#arrivals.append(call);
  }

  /** Removes a queued call wherever it is. O(log n). */
  remove(call: CallRecord): void {
    if (call.promoted) {
      this.#promoted.remove(call);
      return;
    }
    this.#rank.remove(call);
    this.#deadlines.remove(call);
    this.#arrivals.remove(call);
  }

  /** The call to admit next: the oldest promoted call, else the best ranked. O(1). */
  peek(): CallRecord | undefined {
    return this.#promoted.head ?? this.#rank.peek();
  }

  /** Restores order after the policy re-scored `call`. O(log n). */
  rekey(call: CallRecord): void {
    if (call.promoted) return;
    this.#rank.update(call);
    const inDeadlines = this.#deadlines.has(call);
    if (call.transitionAt === Number.POSITIVE_INFINITY) {
      if (inDeadlines) this.#deadlines.remove(call);
    } else if (inDeadlines) this.#deadlines.update(call);
    else this.#deadlines.push(call);
  }

  /**
   * Promotes every call that has waited longer than `maxWaitMs` (strictly), oldest first, and returns how
   * many. O(log n) per promoted call, O(1) when none.
   */
  promoteStarved(now: number, maxWaitMs: number): number {
    let count = 0;
    for (let call = this.#arrivals.head; call !== null && now - call.enqueuedAt > maxWaitMs; ) {
      const next = call.next;
      this.#rank.remove(call);
      this.#deadlines.remove(call);
      this.#arrivals.remove(call);
      call.promoted = true;
      call.transitionAt = Number.POSITIVE_INFINITY;
      this.#promoted.append(call);
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
   * Re-scores every ranked call with `score` and rebuilds both heaps, for scoring epochs (a learned rate
   * drifted, the server pressure level changed): O(n) for the rank heap, O(n log n) worst for the deadlines.
   */
  rescoreAll(score: (call: CallRecord) => void): void {
    const calls = this.#rank.toArray();
    this.#deadlines.clear();
    for (const call of calls) score(call);
    this.#rank.rebuild();
    for (const call of calls) if (call.transitionAt !== Number.POSITIVE_INFINITY) this.#deadlines.push(call);
  }

  /** Checks the heaps; for tests. O(n). */
  isValid(): boolean {
    return this.#rank.isValid() && this.#deadlines.isValid() && this.#rank.size === this.#arrivals.size;
  }
}
