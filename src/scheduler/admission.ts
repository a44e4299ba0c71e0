/**
 * The admission gate: which queued call goes next, and whether it may start now. It owns the ledger of
 * tokens and calls in flight and the liveness lane's share of them; the queue owns order.
 *
 * The choice between the liveness lane (calls of starving runs) and the ranked calls:
 * - the lane goes first when no lane call is in flight (so it always progresses), or when its calls in
 *   flight plus its head stay within `promotedShare` of the budget, or when no ranked call waits;
 * - otherwise the best ranked call under fair sharing between tenants goes.
 * The chosen call starts iff it fits the budget (or nothing is in flight: a call larger than the whole budget
 * runs alone) and fewer than `maxInFlightCalls` calls are in flight. If it does not, nothing is admitted
 * (no backfilling): the head keeps its place and is the first to start once room is freed.
 */
import type { BudgetController } from "./budget.js";
import type { CallRecord } from "./call-record.js";
import { InFlightLedger, type ReleaseOutcome } from "./in-flight.js";
import type { CallQueue } from "./queue.js";

export class AdmissionGate {
  readonly ledger = new InFlightLedger();
  /** Tokens and calls in flight that were admitted from the lane. */
  laneTokens = 0;
  laneCalls = 0;
  /** The charge of the call {@link AdmissionGate.next} returned. */
  nextCharge = 0;
  readonly #share: number;
  readonly #maxCalls: number;
  #pumping = false;
  #pumpAgain = false;
  /** Queue version, budget and in-flight state when admission last stopped: nothing to retry until one moves. */
  #stuckVersion = -1;
  #stuckBudget = -1;
  #stuckTokens = -1;
  #stuckCalls = -1;

  constructor(promotedShare: number, maxInFlightCalls: number | undefined) {
    this.#share = promotedShare;
    this.#maxCalls = maxInFlightCalls ?? Number.POSITIVE_INFINITY;
  }

  /**
   * The call to admit now, with its charge in {@link AdmissionGate.nextCharge}, or `undefined` when the next
   * call in line does not fit (or nothing waits). O(log n).
   */
  next(queue: CallQueue, budget: number, chargeOf: (call: CallRecord) => number): CallRecord | undefined {
    if (this.ledger.calls >= this.#maxCalls) return undefined;
    const lane = queue.peekLane();
    const ranked = queue.bestRanked(budget);
    let call = ranked;
    let charge = 0;
    if (lane !== undefined) {
      const laneCharge = chargeOf(lane);
      if (
        ranked === undefined ||
        this.laneCalls === 0 ||
        this.laneTokens + laneCharge <= this.#share * budget
      ) {
        call = lane;
        charge = laneCharge;
      }
    }
    if (call === undefined) return undefined;
    if (call !== lane) charge = chargeOf(call);
    if (!this.ledger.fits(charge, budget)) return undefined;
    this.nextCharge = charge;
    return call;
  }

  /** Whether a call charged `charge` may start now with nothing queued (the scheduler's fast path). O(1). */
  admitsAtOnce(charge: number, budget: number): boolean {
    return !this.#pumping && this.ledger.calls < this.#maxCalls && this.ledger.fits(charge, budget);
  }

  /**
   * Admits queued calls in order while they fit, calling `admit` for each. Re-entrant calls (from an
   * `onAdmit` handler that releases at once) fold into the running loop. Returns at once when neither the
   * queue, nor the budget, nor what is in flight changed since admission last stopped (most operations are
   * token reports, which change none of them).
   */
  pump(
    queue: CallQueue,
    budget: BudgetController,
    chargeOf: (call: CallRecord) => number,
    admit: (call: CallRecord, charge: number) => void,
  ): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    const ledger = this.ledger;
    if (
      queue.version === this.#stuckVersion &&
      budget.tokens === this.#stuckBudget &&
      ledger.tokens === this.#stuckTokens &&
      ledger.calls === this.#stuckCalls
    ) {
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        for (
          let call = this.next(queue, budget.tokens, chargeOf);
          call;
          call = this.next(queue, budget.tokens, chargeOf)
        )
          admit(call, this.nextCharge);
      } while (this.#pumpAgain);
    } finally {
      this.#pumping = false;
      this.#stuckVersion = queue.version;
      this.#stuckBudget = budget.tokens;
      this.#stuckTokens = ledger.tokens;
      this.#stuckCalls = ledger.calls;
    }
  }

  /** Charges an admitted call. */
  charge(call: CallRecord, charge: number, budget: number): void {
    this.ledger.charge(call.callId, charge, budget);
    if (call.promoted) {
      this.laneTokens += charge;
      this.laneCalls += 1;
    }
  }

  /** Returns a released call's charge. Called once per admitted call. */
  release(call: CallRecord, outcome: ReleaseOutcome): void {
    this.ledger.release(call.charge, outcome);
    if (call.promoted) {
      this.laneTokens -= call.charge;
      this.laneCalls -= 1;
    }
  }
}
