/**
 * The admission ledger: tokens and calls in flight, and the outcome counters. Charging and releasing happen
 * here and only here, with the invariants asserted at each change:
 * - at each admission, in-flight tokens <= budget, unless the call is the only one in flight (a call larger
 *   than the whole budget runs alone rather than deadlock); a budget of 0 admits nothing (a shared budget
 *   holds 0 tokens until its lease is granted);
 * - in-flight tokens and calls never go negative, and no tokens are in flight when no call is.
 */
import { invariant, SchedulerInvariantError } from "./errors.js";

export type ReleaseOutcome = "ok" | "error" | "aborted";

export class InFlightLedger {
  tokens = 0;
  calls = 0;
  readonly counters = {
    admitted: 0,
    completed: 0,
    failed: 0,
    aborted: 0,
    rejected: 0,
    promoted: 0,
    refused: 0,
  };

  /** Whether a call charged `charge` may start under `budget`: it fits, or nothing else is in flight. */
  fits(charge: number, budget: number): boolean {
    return (this.calls === 0 && budget > 0) || this.tokens + charge <= budget;
  }

  /** Charges an admitted call. `charge` is a non-negative integer. */
  charge(callId: number, charge: number, budget: number): void {
    this.tokens += charge;
    this.calls += 1;
    this.counters.admitted += 1;
    if (this.tokens > budget && this.calls !== 1) {
      throw new SchedulerInvariantError(
        `admitted call ${callId} beyond the budget: ${this.tokens} > ${budget}`,
      );
    }
  }

  /** Returns a released call's charge. Called once per admitted call (the scheduler guards the state). */
  release(charge: number, outcome: ReleaseOutcome): void {
    this.tokens -= charge;
    this.calls -= 1;
    invariant(this.tokens >= 0 && this.calls >= 0, "in-flight accounting went negative");
    invariant(this.calls > 0 || this.tokens === 0, "in-flight tokens leaked");
    if (outcome === "ok") this.counters.completed += 1;
    else if (outcome === "error") this.counters.failed += 1;
    else this.counters.aborted += 1;
  }
}
