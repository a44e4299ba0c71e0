/**
 * What the queue wants, for a budget controller that coordinates with other schedulers (a budget shared by
 * several processes, src/fleet/). The scheduler stays pure: it reports its demand synchronously through
 * {@link BudgetController.onDemand}; whatever is asynchronous (Redis) lives behind that interface.
 *
 * Scores compared across processes must not depend on a process's clock origin (`performance.now()` starts
 * at each process's birth). Policy keys are time-invariant by construction (policies.ts): the waiting and
 * slack terms enter as `w x enqueuedAt` and `s x hopelessAt`, both clock readings. Subtracting the same
 * weights times `now` turns them into `-w x waited` and `s x laxity`, which mean the same in every process
 * (clocks of one fleet run at the same rate), while the order within the process is unchanged (`now` is
 * common to its calls).
 */
import type { CallRecord } from "./call-record.js";
import type { AugServeWeights } from "./options.js";
import type { PolicyName } from "./types.js";

/** The scheduler's demand after an admission pass (one object, refreshed in place: read it synchronously). */
export interface BudgetDemand {
  /** Clock time of the report, ms. */
  at: number;
  inFlightTokens: number;
  inFlightCalls: number;
  queuedCalls: number;
  /** Charge (budget tokens) of the next call to admit, the one that did not fit; 0 when nothing is queued. */
  headCharge: number;
  /**
   * Rank of the head, lower first: 0 for a call promoted by the starvation bound, else 1 + its tier (tier 0
   * can still meet its SLO; higher tiers are hopeless or lower classes). Infinity when nothing is queued.
   */
  headRank: number;
  /** Score of the head within its rank, clock-independent and comparable between processes; lower first. */
  headScore: number;
}

/** A fresh demand object with nothing queued. */
export function emptyDemand(): BudgetDemand {
  return {
    at: 0,
    inFlightTokens: 0,
    inFlightCalls: 0,
    queuedCalls: 0,
    headCharge: 0,
    headRank: Number.POSITIVE_INFINITY,
    headScore: 0,
  };
}

/**
 * The clock-independent score of a queued call (see the module comment), lower first:
 * - `fcfs`: minus the time waited (the longest-waiting call first, as arrival order does locally);
 * - `sjf`, `las`: their keys (predicted output tokens, attained tokens), already clock-free;
 * - `augserve`, `augserve-oracle`: `key - (waitWeight + slackWeight) x now` (the slack term is dropped for a
 *   hopeless run, so only `waitWeight` then).
 */
export function fleetScore(
  call: CallRecord,
  policy: PolicyName,
  weights: AugServeWeights,
  now: number,
): number {
  switch (policy) {
    case "fcfs":
      return call.enqueuedAt - now;
    case "sjf":
    case "las":
      return call.key;
    default: {
      const clockWeight = weights.waitWeight + (call.run.hopeless ? 0 : weights.slackWeight);
      return call.key - clockWeight * now;
    }
  }
}
