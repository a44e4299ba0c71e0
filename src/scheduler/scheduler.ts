/**
 * Orchestration: the scheduler loop (DESIGN.md section 4). Order comes from a policy (policies.ts) over the
 * queue (queue.ts, tenants.ts), capacity from a budget controller (budget.ts) and the admission gate
 * (admission.ts); this class owns the state transitions of calls and runs, each in one place, and asserts
 * the invariants where state changes.
 *
 * There are no timers: every public operation first applies what time made due (`#advance`: deadlines,
 * starvation promotions, a slice of incremental re-scoring, budget decisions), then does its work, then
 * admits what fits (`#pump`). Admission is strict in order: if the next call does not fit, nothing behind it
 * is admitted (no backfilling, so a large call cannot be starved by a stream of small ones); a call larger
 * than the whole budget is admitted alone when nothing is in flight.
 */
import { AdmissionGate } from "./admission.js";
import { type BudgetController, createBudgetController } from "./budget.js";
import { type CallHost, CallRecord, CallState } from "./call-record.js";
import { CostModel } from "./cost-model.js";
import { type BudgetDemand, emptyDemand, fleetScore } from "./demand.js";
import { AugServeOverloadedError, CallCancelledError, QueueFullError } from "./errors.js";
import { rethrowLater, SchedulerEmitter } from "./events.js";
import { Measurements } from "./measurements.js";
import {
  parseOptions,
  parseSchedulerOptions,
  type ResolvedSchedulerOptions,
  RunServiceSchema,
  type SchedulerOptions,
  SloSchema,
} from "./options.js";
import { OverloadControl } from "./overload.js";
import { createPolicy, type Policy, type ScoreContext } from "./policies.js";
import { PressureGauge } from "./pressure.js";
import { CallQueue } from "./queue.js";
import { type RunOps, SchedulerRun } from "./run-handle.js";
import { finiteNonNegative, RunState } from "./run-state.js";
import { Scorer } from "./scoring.js";
import { Stage, TIERS_PER_CLASS } from "./tiers.js";
import type {
  BeginRunOptions,
  CallResult,
  CallSpec,
  Clock,
  RunHandle,
  SchedulerApi,
  SchedulerEventName,
  SchedulerEvents,
  SchedulerSnapshot,
  ServerSignals,
  SubmitHandlers,
} from "./types.js";

/** What the scheduler is given besides its options. */
export interface SchedulerDeps {
  /** Time source (ms). */
  clock: Clock;
  /** Replaces the controller built from `options.budget` (e.g. a custom strategy). */
  budget?: BudgetController;
}

const DEFAULT_SERVICE = { priorityClass: "interactive", tenant: "" } as const;

export class Scheduler implements SchedulerApi {
  readonly #clock: Clock;
  readonly #options: ResolvedSchedulerOptions;
  readonly #policy: Policy;
  readonly #queue: CallQueue;
  readonly #cost: CostModel;
  readonly #budget: BudgetController;
  readonly #events = new SchedulerEmitter();
  readonly #ctx: ScoreContext;
  readonly #gate: AdmissionGate;
  readonly #pressure = new PressureGauge();
  readonly #overload = new OverloadControl();
  readonly #scorer: Scorer;
  readonly #shed: boolean;
  #nextCallId = 1;
  #nextRunId = 1;
  #activeRuns = 0;
  #parkedRuns = 0;
  readonly #measure: Measurements;
  readonly #demand: BudgetDemand = emptyDemand();

  /** @throws SchedulerOptionsError naming the invalid field. */
  constructor(options: SchedulerOptions | undefined, deps: SchedulerDeps) {
    this.#options = parseSchedulerOptions(options);
    this.#clock = deps.clock;
    this.#policy = createPolicy(this.#options.policy);
    this.#cost = new CostModel(this.#options.costModel);
    this.#budget = deps.budget ?? createBudgetController(this.#options.budget, this.#options.slo);
    this.#shed = this.#options.overload === "shed";
    this.#queue = new CallQueue(this.#shed);
    const budget = this.#budget;
    if (budget.tenantShare) this.#queue.tenants.shareOf = (t, fair) => budget.tenantShare?.(t, fair) ?? fair;
    this.#gate = new AdmissionGate(this.#options.promotedShare, this.#options.maxInFlightCalls);
    this.#ctx = {
      now: deps.clock.now(),
      cost: this.#cost,
      weights: this.#options.augserve,
      pressure: 0,
      shed: this.#shed,
    };
    this.#scorer = new Scorer(this.#policy, this.#ctx, this.#queue, this.#cost, this.#shed);
    const queue = this.#queue;
    this.#measure = new Measurements(
      this.#cost,
      this.#overload.gauge,
      this.#budget,
      this.#events,
      this.#gate.ledger,
      () => queue.size,
    );
  }

  /**
   * Starts a run. `features` feed Stage I; `slo` overrides the default SLO; `priorityClass` and `tenant`
   * (validated) place it in a class and a fairness key.
   * @example const run = scheduler.beginRun({ features: { promptTokens: 800, remainingToolRounds: 3,
   *   outputTokensPerCall: 120, finalOutputTokens: 300 }, priorityClass: "background", tenant: "acme" });
   */
  beginRun(options: BeginRunOptions): RunHandle {
    const now = this.#advance();
    const slo = options.slo ? parseOptions(SloSchema, options.slo) : this.#options.slo;
    const service =
      options.priorityClass === undefined && options.tenant === undefined
        ? DEFAULT_SERVICE
        : parseOptions(RunServiceSchema, { priorityClass: options.priorityClass, tenant: options.tenant });
    const id = options.runId ?? `run-${this.#nextRunId++}`;
    const run = new RunState(id, options.features, slo, this.#options.slo, now, service);
    run.lastContextTokens = finiteNonNegative(options.features.promptTokens);
    this.#activeRuns += 1;
    return new SchedulerRun(run, this.#ops);
  }

  /** Takes live server state (may be seconds stale): feeds the budget controller and the pressure level. */
  observe(signals: ServerSignals): void {
    const now = this.#advance();
    this.#measure.sample({ kind: "server", at: now, signals });
    const budget = this.#options.budget;
    const [low, high] = budget.mode === "adaptive" ? [budget.kvLowWater, budget.kvHighWater] : [0.8, 0.95];
    if (this.#pressure.update(signals, low, high)) {
      this.#ctx.pressure = this.#pressure.level;
      this.#scorer.startEpoch();
    }
    this.#pump();
  }

  /** Takes the client's own event-loop delay, ms (see `SchedulerApi.observeClientLag`). */
  observeClientLag(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const now = this.#advance();
    this.#measure.sample({ kind: "clientLag", at: now, ms });
    this.#pump();
  }

  /**
   * Applies what time made due (deadline transitions, starvation promotions, budget decisions) and admits
   * what fits. Every other operation does this first; a virtual-time driver calls it after moving its clock.
   */
  tick(): void {
    this.#advance();
    this.#pump();
  }

  snapshot(): SchedulerSnapshot {
    const ledger = this.#gate.ledger;
    return {
      policy: this.#policy.name,
      now: this.#clock.now(),
      queued: this.#queue.size,
      inFlightCalls: ledger.calls,
      inFlightTokens: ledger.tokens,
      budgetTokens: this.#budget.tokens,
      activeRuns: this.#activeRuns,
      parkedRuns: this.#parkedRuns,
      counters: { ...ledger.counters },
      promotedQueued: this.#queue.promotedSize,
      promotedInFlightTokens: this.#gate.laneTokens,
      tenantsWaiting: this.#queue.tenants.waiting,
      viableQueued: this.#queue.viableSize,
      costModel: {
        prefillMsPerToken: this.#cost.prefillMsPerToken,
        decodeMsPerToken: this.#cost.decodeMsPerToken,
      },
      pressure: this.#ctx.pressure,
    };
  }

  /** Per tenant: tokens in flight and ranked calls queued (for a fleet's fair shares, src/fleet/). O(T). */
  tenantDemand(): IterableIterator<{ id: string; inFlightTokens: number; queued: number }> {
    return this.#queue.tenants.demand();
  }

  on<E extends SchedulerEventName>(event: E, listener: (payload: SchedulerEvents[E]) => void): () => void {
    return this.#events.on(event, listener);
  }

  // ---- run operations -------------------------------------------------------------------------------

  readonly #ops: RunOps = {
    submit: (run, spec, handlers, signal) => this.#submit(run, spec, handlers, signal),
    abortQueued: (call, error) => {
      // Rejecting frees the head's place and admits (#reject pumps): apply what time made due first, or a
      // call that starved since the last operation is overtaken unpromoted and admissions carry a stale now.
      if (call.state !== CallState.Queued) return;
      this.#advance();
      this.#reject(call, error, "aborted-while-queued");
    },
    updateEstimate: (run, estimate) => {
      this.#advance();
      run.updateEstimate(estimate);
      for (const call of run.queued) this.#scorer.rescore(call);
      this.#pump();
    },
    park: (run) => {
      const now = this.#advance();
      if (run.ended || run.parkedAt !== null) return;
      run.parkedAt = now;
      run.lastParkStartAt = now;
      this.#parkedRuns += 1;
    },
    unpark: (run) => {
      const now = this.#advance();
      this.#unpark(run, now);
      this.#pump();
    },
    end: (run, outcome) => {
      const now = this.#advance();
      if (run.ended) return;
      this.#endRun(run, now, outcome);
      this.#pump();
    },
  };

  #endRun(run: RunState, now: number, outcome: SchedulerEvents["runEnded"]["outcome"]): void {
    this.#unpark(run, now);
    run.ended = true;
    this.#activeRuns -= 1;
    for (const call of [...run.queued]) {
      this.#reject(call, new CallCancelledError("run-ended", run.id, call.callId), "run-ended");
    }
    this.#events.emit("runEnded", { runId: run.id, outcome });
  }

  #unpark(run: RunState, now: number): void {
    if (run.parkedAt === null) return;
    run.toolTimeMs += now - run.parkedAt;
    run.parkedAt = null;
    this.#parkedRuns -= 1;
  }

  #submit(run: RunState, spec: CallSpec, handlers: SubmitHandlers, signal: AbortSignal | null): CallRecord {
    const now = this.#advance();
    const promptTokens = finiteNonNegative(spec.promptTokens);
    const expected = spec.expectedOutputTokens;
    const call = new CallRecord(
      this.#host,
      this.#nextCallId++,
      run,
      {
        promptTokens,
        cachedPromptTokens: Math.min(promptTokens, finiteNonNegative(spec.cachedPromptTokens)),
        specOutputTokens:
          expected === undefined || Number.isNaN(expected) ? Number.NaN : finiteNonNegative(expected),
      },
      handlers,
      signal,
      now,
    );
    const first = !run.submitted;
    run.submitted = true;
    if (run.refusal) {
      this.#reject(call, run.refusal, "overloaded");
    } else if (run.ended) {
      this.#reject(call, new CallCancelledError("run-ended", run.id, call.callId), "run-ended");
    } else if (this.#queue.size >= this.#options.maxQueueLength) {
      this.#reject(call, new QueueFullError(this.#options.maxQueueLength, run.id), "queue-full");
    } else {
      call.tenant = this.#queue.tenants.ref(run.tenantId);
      call.promoted = run.starving;
      if (call.promoted) this.#gate.ledger.counters.promoted += 1;
      this.#scorer.score(call);
      if (this.#shed && !call.promoted) {
        if (first && this.#refuses(call, now)) return call;
        if (call.tier % TIERS_PER_CLASS === Stage.Committed)
          this.#overload.gauge.onCommitted(call.queuedCharge, now);
      }
      // Fast path: nothing waits, so no call is ahead of this one, and it fits: admitted at once, without
      // entering the queue (the order a pump would give is the same, at no heap insert and removal).
      if (this.#queue.size === 0) {
        const charge = this.#scorer.chargeFn(call);
        if (this.#gate.admitsAtOnce(charge, this.#budget.tokens)) {
          this.#admit(call, charge, now, false);
          return call;
        }
      }
      this.#queue.add(call);
      run.queued.push(call);
      this.#pump();
    }
    return call;
  }

  /** Overload shedding of a run's first call: refuses the run (and ends it) when it could not start in time. */
  #refuses(call: CallRecord, now: number): boolean {
    const run = call.run;
    const verdict = this.#overload.verdict(call, now, {
      budget: this.#budget.tokens,
      inFlightTokens: this.#gate.ledger.tokens,
      laneBusy: this.#queue.promotedSize > 0,
      promotedShare: this.#options.promotedShare,
      tenantsWaiting: this.#queue.tenants.waiting,
      cost: this.#cost,
      policy: this.#policy,
    });
    if (verdict === null) return false;
    const { predictedWaitMs, limitMs, retryAfterMs } = verdict;
    const error = new AugServeOverloadedError(run.id, predictedWaitMs, limitMs, retryAfterMs);
    run.refusal = error;
    this.#gate.ledger.counters.refused += 1;
    this.#reject(call, error, "overloaded", verdict);
    this.#endRun(run, now, "refused");
    return true;
  }

  /** Queued (or never queued) -> rejected: the one place a call is turned away. */
  #reject(
    call: CallRecord,
    error: unknown,
    reason: SchedulerEvents["rejected"]["reason"],
    overload?: { predictedWaitMs: number; limitMs: number; retryAfterMs: number },
  ): void {
    if (call.state !== CallState.Queued) return;
    const wasQueued = call.rankIndex >= 0 || call.laneIndex >= 0;
    if (wasQueued) {
      this.#queue.remove(call);
      call.run.removeQueued(call);
    }
    if (call.tenant) this.#queue.tenants.unref(call.tenant);
    call.tenant = null;
    call.state = CallState.Rejected;
    this.#gate.ledger.counters.rejected += 1;
    const handlers = call.handlers;
    call.handlers = null;
    if (this.#events.has("rejected")) {
      const payload: SchedulerEvents["rejected"] = { runId: call.run.id, reason };
      if (reason === "queue-full") payload.queueLimit = this.#options.maxQueueLength;
      if (overload) Object.assign(payload, overload);
      this.#events.emit("rejected", payload);
    }
    try {
      handlers?.onReject?.(error instanceof Error ? error : new Error(String(error), { cause: error }));
    } catch (handlerError) {
      rethrowLater(handlerError);
    }
    // The head may have been the call that did not fit.
    if (wasQueued) this.#pump();
  }

  /** Queued -> running: the one place a call is admitted. */
  #admit(call: CallRecord, charge: number, now: number, queued = true): void {
    const run = call.run;
    if (queued) {
      this.#queue.remove(call);
      run.removeQueued(call);
    }
    call.state = CallState.Running;
    call.charge = charge;
    call.admittedAt = now;
    call.priority = call.promoted ? 0 : this.#policy.priority(call, this.#ctx);
    run.running += 1;
    run.callsStarted += 1;
    run.attainedTokens += call.uncachedPromptTokens;
    run.attainedMs += this.#cost.callMs(call.uncachedPromptTokens, 0);
    run.lastContextTokens = call.promptTokens;
    this.#gate.charge(call, charge, this.#budget.tokens);
    if (call.tenant) this.#queue.tenants.charge(call.tenant, charge);
    if (this.#events.has("admitted")) {
      this.#events.emit("admitted", {
        runId: run.id,
        callId: call.callId,
        waitedMs: now - call.enqueuedAt,
        tokens: charge,
        priority: call.priority,
        promoted: call.promoted,
      });
    }
    try {
      call.handlers?.onAdmit(call);
    } catch (error) {
      this.#release(call, "error");
      rethrowLater(error);
    }
  }

  /** Running -> released: the one place budget is returned. Later calls for the same call are ignored. */
  #release(call: CallRecord, outcome: "ok" | "error" | "aborted", result?: CallResult): void {
    if (call.state !== CallState.Running) return;
    const now = this.#advance();
    const run = call.run;
    const final = result ?? call.result;
    if (final && Number.isFinite(final.outputTokens) && final.outputTokens > call.outputTokens) {
      this.#measure.addOutput(call, final.outputTokens - call.outputTokens);
    }
    run.lastContextTokens = finiteNonNegative(final?.promptTokens ?? call.promptTokens) + call.outputTokens;
    call.state = CallState.Released;
    call.handlers = null;
    run.running -= 1;
    this.#gate.release(call, outcome);
    this.#measure.released(call, now, outcome);
    if (call.tenant) {
      this.#queue.tenants.charge(call.tenant, -call.charge);
      this.#queue.tenants.unref(call.tenant);
      call.tenant = null;
    }
    if (this.#events.has("completed")) {
      this.#events.emit("completed", {
        runId: run.id,
        callId: call.callId,
        outcome,
        durationMs: now - call.admittedAt,
        ttftMs: call.firstTokenAt >= 0 ? call.firstTokenAt - call.admittedAt : null,
        outputTokens: call.outputTokens,
      });
    }
    this.#pump();
  }

  readonly #host: CallHost = {
    cancel: (call) => {
      // As abortQueued: time first, then the rejection and the admissions it allows (no-op unless queued).
      if (call.state !== CallState.Queued) return;
      this.#advance();
      this.#reject(
        call,
        new CallCancelledError("cancelled", call.run.id, call.callId),
        "aborted-while-queued",
      );
    },
    release: (call, outcome, result) => this.#release(call, outcome, result),
    setResult: (call, result) => {
      if (call.state === CallState.Running) call.result = result;
    },
    firstToken: (call) => {
      if (call.state !== CallState.Running || call.firstTokenAt >= 0) return;
      const now = this.#advance();
      const run = call.run;
      call.firstTokenAt = now;
      call.lastTokenAt = now;
      this.#measure.firstToken(call, now);
      if (run.firstTokenAt === null) {
        run.firstTokenAt = now;
        // A missed TTFT target can never be met again: latch hopeless and re-rank its queued calls.
        if (now - run.arrivalAt > run.slo.ttftMs && !run.hopeless) {
          run.hopeless = true;
          for (const queued of run.queued) this.#scorer.rescore(queued);
        }
      }
      this.#pump();
    },
    tokens: (call, count) => {
      if (call.state !== CallState.Running || !(count > 0) || !Number.isFinite(count)) return;
      if (call.firstTokenAt < 0) this.#host.firstToken(call);
      const now = this.#advance();
      this.#measure.tokens(call, now, count);
      call.lastTokenAt = now;
      this.#pump();
    },
  };

  /** Applies what time made due; returns now. */
  #advance(): number {
    const now = this.#clock.now();
    this.#ctx.now = now;
    this.#gate.ledger.counters.promoted += this.#scorer.maintain(now, this.#options.maxWaitMs);
    this.#measure.tick(now);
    return now;
  }

  /** Admits what fits (see {@link AdmissionGate.pump}). */
  #pump(): void {
    this.#gate.pump(this.#queue, this.#budget, this.#scorer.chargeFn, this.#admitFn);
    if (this.#budget.onDemand) this.#reportDemand();
  }

  /**
   * Tells a shared budget controller (src/fleet/) what the queue wants after an admission pass: the next call
   * in line (the liveness lane's head, else the best ranked call), its charge and its clock-independent urgency.
   * Reported only when the demand changed (most operations are token reports, which change none of it).
   */
  #reportDemand(): void {
    const d = this.#demand;
    const ledger = this.#gate.ledger;
    const head = this.#queue.peekLane() ?? this.#queue.bestRanked(this.#budget.tokens);
    const charge = head ? this.#scorer.charge(head) : 0;
    if (
      d.queuedCalls === this.#queue.size &&
      d.inFlightTokens === ledger.tokens &&
      d.inFlightCalls === ledger.calls &&
      d.headCharge === charge
    ) {
      return;
    }
    d.at = this.#ctx.now;
    d.inFlightTokens = ledger.tokens;
    d.inFlightCalls = ledger.calls;
    d.queuedCalls = this.#queue.size;
    d.headCharge = charge;
    if (head) {
      d.headRank = head.promoted ? 0 : 1 + head.tier;
      d.headScore = head.promoted
        ? head.enqueuedAt - d.at
        : fleetScore(head, this.#policy.name, this.#options.augserve, d.at);
    } else {
      d.headRank = Number.POSITIVE_INFINITY;
      d.headScore = 0;
    }
    this.#budget.onDemand?.(d);
  }

  readonly #admitFn = (call: CallRecord, charge: number) => this.#admit(call, charge, this.#ctx.now);
}
