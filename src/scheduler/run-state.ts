/**
 * What the scheduler knows of one run: its SLO, its Stage I estimate (and, for the oracle, the truth),
 * the service it has had, and its tool phases. Plain mutable state owned by the scheduler; the policies
 * read it, the scheduler alone writes it.
 */
import type { CallRecord } from "./call-record.js";
import type { AugServeOverloadedError } from "./errors.js";
import { classTier } from "./tiers.js";
import type { PriorityClass, RunEstimate, RunFeatures, Slo } from "./types.js";

/** A run estimate with every field finite and >= 0. */
export interface CleanEstimate {
  remainingToolRounds: number;
  outputTokensPerCall: number;
  finalOutputTokens: number;
  toolLatencyMs: number;
}

/** A view of an estimate from the call index it was made at: the rounds it predicts shrink as calls start. */
export interface EstimateView {
  estimate: CleanEstimate;
  /** `callsStarted` of the run when the estimate was made. */
  madeAtCall: number;
}

export class RunState {
  readonly id: string;
  readonly arrivalAt: number;
  readonly slo: Slo;
  /** SLO urgency weight of Stage I (tighter normalised-latency target than the default -> > 1). */
  readonly urgency: number;
  predicted: EstimateView;
  /** The hidden truth (evaluation only); `null` when not given, then the oracle falls back to `predicted`. */
  readonly truth: EstimateView | null;

  /** Calls admitted so far. */
  callsStarted = 0;
  /** Calls admitted and not yet released. */
  running = 0;
  /** Calls of this run in the queue (usually 0 or 1). */
  readonly queued: CallRecord[] = [];
  /** Service attained: uncached prompt tokens + output tokens of its calls (LAS), and the same in ms. */
  attainedTokens = 0;
  attainedMs = 0;
  outputTokens = 0;
  firstTokenAt: number | null = null;
  toolTimeMs = 0;
  parkedAt: number | null = null;
  /** Start of the latest tool phase (the server's copy of the prefix starts ageing then). */
  lastParkStartAt = Number.NEGATIVE_INFINITY;
  /** Prompt + output tokens of the latest admitted call: the prefix its next call probably shares. */
  lastContextTokens = 0;
  /** Latched: the run can no longer meet its SLO. */
  hopeless = false;
  /** Latched: a call of the run waited longer than `maxWaitMs`; its calls go to the liveness lane. */
  starving = false;
  /** Whether the run's first call was submitted (only a first call may be shed). */
  submitted = false;
  /** Set when overload shedding refused the run; its later calls are refused with the same error. */
  refusal: AugServeOverloadedError | null = null;
  ended = false;
  /** Service class. */
  readonly priorityClass: PriorityClass;
  /** Tier offset of the class (tiers.ts): 0 for interactive, 3 for background (behind every interactive call). */
  readonly classTier: number;
  /** Fairness key ("" when none was given: the anonymous tenant). */
  readonly tenantId: string;

  constructor(
    id: string,
    features: RunFeatures,
    slo: Slo,
    defaultSlo: Slo,
    now: number,
    service: { priorityClass: PriorityClass; tenant: string } = { priorityClass: "interactive", tenant: "" },
  ) {
    this.id = id;
    this.arrivalAt = now;
    this.slo = slo;
    this.priorityClass = service.priorityClass;
    this.classTier = classTier(service.priorityClass);
    this.tenantId = service.tenant;
    this.urgency = clamp(defaultSlo.normLatencyMsPerToken / slo.normLatencyMsPerToken, 0.25, 4);
    this.predicted = { estimate: cleanEstimate(features), madeAtCall: 0 };
    this.truth = features.truth ? { estimate: cleanEstimate(features.truth), madeAtCall: 0 } : null;
    this.lastContextTokens = 0;
  }

  /** Removes a call from `queued` (order does not matter: swap with the last). */
  removeQueued(call: CallRecord): void {
    const list = this.queued;
    if (list.length === 1 && list[0] === call) {
      list.pop();
      return;
    }
    const index = list.indexOf(call);
    if (index < 0) return;
    list[index] = list[list.length - 1] as CallRecord;
    list.pop();
  }

  /** Replaces fields of the predicted estimate; it now speaks from the current call index. */
  updateEstimate(update: Partial<RunEstimate>): void {
    const merged = { ...this.predicted.estimate };
    for (const key of Object.keys(merged) as (keyof CleanEstimate)[]) {
      const value = update[key];
      if (value !== undefined) merged[key] = finiteNonNegative(value);
    }
    this.predicted = { estimate: merged, madeAtCall: this.callsStarted };
  }
}

/** Tool rounds still to come after the run's next call starts, per `view`. */
export function remainingRounds(run: RunState, view: EstimateView): number {
  return Math.max(0, view.estimate.remainingToolRounds - (run.callsStarted - view.madeAtCall));
}

/** Predicted output tokens of the run's next call: an intermediate call while rounds remain, else the final. */
export function nextCallOutputTokens(run: RunState, view: EstimateView): number {
  return remainingRounds(run, view) > 0 ? view.estimate.outputTokensPerCall : view.estimate.finalOutputTokens;
}

export function cleanEstimate(estimate: RunEstimate): CleanEstimate {
  return {
    remainingToolRounds: finiteNonNegative(estimate.remainingToolRounds),
    outputTokensPerCall: finiteNonNegative(estimate.outputTokensPerCall),
    finalOutputTokens: finiteNonNegative(estimate.finalOutputTokens),
    toolLatencyMs: finiteNonNegative(estimate.toolLatencyMs ?? 0),
  };
}

export function finiteNonNegative(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : 0;
}

export function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
