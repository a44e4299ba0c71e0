/**
 * Overload control, `overload: "shed"` (DESIGN.md section 4): predict, when a run's first call is submitted,
 * how long it would wait for admission, and refuse the run at once when it could not start within its TTFT
 * target. Everything here is O(1); the tokens queued ahead of the call come from the tenant's order index in
 * O(log n) (no scan of the queue).
 *
 * The prediction, for a call of `charge` tokens with `ahead` tokens ranked before it:
 *
 *   wait  = max(0, ahead + charge - free) / drain
 *   free  = budget - tokens in flight (>= 0)
 *   drain = max(budget / D x share - inflow, budget / D x share x MIN_DRAIN_SHARE)
 *   share = (1 - promotedShare while the liveness lane is busy) / (tenants waiting, when >= 2)
 *
 * where D is the token-weighted mean time a call holds its charge (Little's law: a budget of B tokens held
 * D ms each drains at B / D tokens per ms) and `inflow` the rate at which committed calls (later calls of
 * admitted runs, which the augserve policies rank ahead of first calls under shedding) join the queue: they
 * will overtake the new call while it waits. It is refused when `wait > limit`, with
 *
 *   limit = max(0, ttftMs - serverTtft) x WAIT_FRACTION x min(1, meanCost / cost)
 *
 * `serverTtft` the measured mean time from dispatch to first token (the part of the TTFT target the server
 * itself takes), `cost` the run's predicted remaining server time (Stage I) and `meanCost` its running mean
 * over new runs. Two reasons for the factors: the drain is an estimate that the adaptive budget moves by up
 * to 30 % at a time, so only a fraction of the target may be spent queueing; and with every run worth one
 * unit of goodput, a run that costs twice the mean is worth half as much per token, so it gets half the room
 * (shedding prefers short work as SRPT does, while what it admits is served by deadline). The hint
 * `retryAfterMs` is how long the excess (`wait - limit`) takes to drain at that rate.
 *
 * What the prediction ignores, on purpose (documented in docs/scheduler.md): budget changes during the wait,
 * and the `maxInFlightCalls` cap.
 */

import type { CallRecord } from "./call-record.js";
import type { CostModel } from "./cost-model.js";
import { type Policy, remainingCostMs } from "./policies.js";

/** EWMA weight of one released call in the mean time in flight, and of one first token in the server TTFT. */
const DECAY = 0.02;
/** The committed inflow is measured over intervals of at least this long, ms, and smoothed across them. */
const INFLOW_INTERVAL_MS = 1_000;
const INFLOW_SMOOTHING = 0.3;
/** A new call is never predicted to get less than this share of the drain (keeps the wait finite). */
export const MIN_DRAIN_SHARE = 0.05;
/**
 * Share of the TTFT target (net of the server's own time) a new run may be predicted to queue. Tuned on the
 * tuning set of docs/benchmarks.md (0.1 of 0.1, 0.2, 0.25, 0.5, 1): above it, admitted runs miss their TTFT
 * when the budget is cut under them.
 */
export const WAIT_FRACTION = 0.1;

/** What the scheduler measures for the predictor; all O(1) per sample. */
export class OverloadGauge {
  #tokenMs = 0;
  #tokens = 0;
  #serverTtftMs: number | null = null;
  #meanCostMs: number | null = null;
  #inflowTokens = 0;
  #inflowSince = Number.NaN;
  #inflowPerMs = 0;

  /** A new run of predicted remaining cost `costMs` asks to start; returns the running mean cost. */
  onNewRun(costMs: number): number {
    if (!(costMs >= 0) || !Number.isFinite(costMs)) return this.#meanCostMs ?? 0;
    const mean = this.#meanCostMs;
    this.#meanCostMs = mean === null ? costMs : mean + DECAY * (costMs - mean);
    return this.#meanCostMs;
  }

  /** A committed call of `charge` tokens was queued at `now`. */
  onCommitted(charge: number, now: number): void {
    this.#rollInflow(now);
    this.#inflowTokens += charge;
  }

  /** Tokens of committed calls queued per ms, smoothed over the last few seconds. */
  inflowPerMs(now: number): number {
    this.#rollInflow(now);
    return this.#inflowPerMs;
  }

  #rollInflow(now: number): void {
    if (Number.isNaN(this.#inflowSince)) this.#inflowSince = now;
    const elapsed = now - this.#inflowSince;
    if (elapsed < INFLOW_INTERVAL_MS) return;
    const rate = this.#inflowTokens / elapsed;
    this.#inflowPerMs += INFLOW_SMOOTHING * (rate - this.#inflowPerMs);
    this.#inflowTokens = 0;
    this.#inflowSince = now;
  }

  /** A call that held `charge` tokens for `durationMs` was released. */
  onRelease(charge: number, durationMs: number): void {
    if (!(charge > 0) || !(durationMs >= 0) || !Number.isFinite(durationMs)) return;
    this.#tokenMs = this.#tokenMs * (1 - DECAY) + charge * durationMs;
    this.#tokens = this.#tokens * (1 - DECAY) + charge;
  }

  /** A call's first token came `ms` after its admission. */
  onFirstToken(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) return;
    this.#serverTtftMs =
      this.#serverTtftMs === null ? ms : this.#serverTtftMs + DECAY * (ms - this.#serverTtftMs);
  }

  /** Token-weighted mean time a call holds its charge, ms; `null` before the first release. */
  get meanHoldMs(): number | null {
    return this.#tokens > 0 ? this.#tokenMs / this.#tokens : null;
  }

  /** Mean dispatch -> first token, ms; `fallback` before the first sample. */
  serverTtftMs(fallback: number): number {
    return this.#serverTtftMs ?? fallback;
  }
}

/** Inputs of one shed decision. */
export interface ShedInputs {
  /** Tokens ranked ahead of the call (its tenant's, when several tenants wait). */
  ahead: number;
  charge: number;
  budget: number;
  inFlightTokens: number;
  /** Mean time a call holds its charge, ms (see {@link OverloadGauge.meanHoldMs}). */
  meanHoldMs: number;
  /** Share of the drain left to ranked calls (1, or 1 - promotedShare while the lane has calls). */
  rankedShare: number;
  /** Tenants with calls waiting, this one included. */
  tenantsWaiting: number;
  /** Tokens per ms that join the queue ahead of the call while it waits (committed calls). */
  inflowPerMs: number;
  /** The run's TTFT target, ms. */
  ttftMs: number;
  /** The run's predicted remaining server time, and the mean over new runs, ms. */
  costMs: number;
  meanCostMs: number;
  /** Expected dispatch -> first token, ms. */
  serverTtftMs: number;
}

/** The verdict: `null` to queue the run, else the figures of its `AugServeOverloadedError`. */
export interface ShedVerdict {
  predictedWaitMs: number;
  limitMs: number;
  retryAfterMs: number;
}

/** Decides whether a new run is refused. Pure, O(1). */
export function shedVerdict(input: ShedInputs): ShedVerdict | null {
  const free = Math.max(0, input.budget - input.inFlightTokens);
  const backlog = input.ahead + input.charge - free;
  if (backlog <= 0) return null;
  const gross =
    ((input.budget / Math.max(input.meanHoldMs, 1e-6)) * input.rankedShare) /
    Math.max(1, input.tenantsWaiting);
  const drain = Math.max(gross - input.inflowPerMs, gross * MIN_DRAIN_SHARE);
  const predictedWaitMs = backlog / drain;
  const size = input.costMs > 0 ? Math.min(1, input.meanCostMs / input.costMs) : 1;
  const limitMs = Math.max(0, input.ttftMs - input.serverTtftMs) * WAIT_FRACTION * size;
  if (!(predictedWaitMs > limitMs)) return null;
  return { predictedWaitMs, limitMs, retryAfterMs: Math.max(1, Math.ceil(predictedWaitMs - limitMs)) };
}

/** What the scheduler knows at a shed decision besides the call. */
export interface ShedState {
  budget: number;
  inFlightTokens: number;
  /** Whether the liveness lane has calls waiting (it then takes its share of the drain). */
  laneBusy: boolean;
  promotedShare: number;
  /** Tenants with ranked calls waiting. */
  tenantsWaiting: number;
  cost: CostModel;
  policy: Policy;
}

/** The predictor's measurements and the decision for a run's first call (the call scored, not queued). */
export class OverloadControl {
  readonly gauge = new OverloadGauge();

  /** The verdict on `call`, a run's first call scored at `now`; `null` to queue it. O(log n). */
  verdict(call: CallRecord, now: number, state: ShedState): ShedVerdict | null {
    const tenant = call.tenant;
    const gauge = this.gauge;
    const costMs = remainingCostMs(call, state.policy.view(call.run), state.cost);
    return shedVerdict({
      ahead: tenant?.index?.tokensBefore(call.tier, call.key, call.callId) ?? 0,
      charge: call.queuedCharge,
      budget: state.budget,
      inFlightTokens: state.inFlightTokens,
      meanHoldMs: gauge.meanHoldMs ?? state.cost.callMs(call.uncachedPromptTokens, 1),
      rankedShare: state.laneBusy ? 1 - state.promotedShare : 1,
      tenantsWaiting: state.tenantsWaiting + (tenant && tenant.heap.size === 0 ? 1 : 0),
      inflowPerMs: gauge.inflowPerMs(now),
      ttftMs: call.run.slo.ttftMs,
      costMs,
      meanCostMs: gauge.onNewRun(costMs),
      serverTtftMs: gauge.serverTtftMs(state.cost.callMs(call.uncachedPromptTokens, 0)),
    });
  }
}
