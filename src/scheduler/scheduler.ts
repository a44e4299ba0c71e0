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
import {
  type BudgetContext,
  type BudgetController,
  type BudgetSample,
  createBudgetController,
} from "./budget.js";
import { type CallHost, CallRecord, CallState } from "./call-record.js";
import { CostModel } from "./cost-model.js";
import { AugServeOverloadedError, CallCancelledError, QueueFullError } from "./errors.js";
import { rethrowLater, SchedulerEmitter } from "./events.js";
import {
  parseOptions,
  parseSchedulerOptions,
  type ResolvedSchedulerOptions,
  RunServiceSchema,
  type SchedulerOptions,
  SloSchema,
} from "./options.js";
import { OverloadGauge, shedVerdict } from "./overload.js";
import {
  createPolicy,
  expectedOutputTokens,
  type Policy,
  remainingCostMs,
  type ScoreContext,
} from "./policies.js";
import { PressureGauge } from "./pressure.js";
import { CallQueue } from "./queue.js";
import { type RunOps, SchedulerRun } from "./run-handle.js";
import { finiteNonNegative, RunState } from "./run-state.js";
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

/** Stale viable calls re-scored per operation while a scoring epoch's walk is pending. */
const RESCORE_PER_OPERATION = 2;

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
  readonly #overload = new OverloadGauge();
  readonly #shed: boolean;
  #nextCallId = 1;
  #nextRunId = 1;
  #activeRuns = 0;
  #parkedRuns = 0;
  #pumping = false;
  #pumpAgain = false;
  /** Queue version, budget and in-flight state when admission last stopped: nothing to retry until one moves. */
  #stuckVersion = -1;
  #stuckBudget = -1;
  #stuckTokens = -1;
  #stuckCalls = -1;
  readonly #budgetContext: BudgetContext = { inFlightTokens: 0, queuedCalls: 0 };
  /** Reused samples of the hot path (one per token report): the controller may not keep them. */
  readonly #ttftSample = { kind: "ttft" as const, at: 0, ms: 0 };
  readonly #tokenSample = { kind: "tokenLatency" as const, at: 0, msPerToken: 0, tokens: 0 };

  /** @throws SchedulerOptionsError naming the invalid field. */
  constructor(options: SchedulerOptions | undefined, deps: SchedulerDeps) {
    this.#options = parseSchedulerOptions(options);
    this.#clock = deps.clock;
    this.#policy = createPolicy(this.#options.policy);
    this.#cost = new CostModel(this.#options.costModel);
    this.#budget = deps.budget ?? createBudgetController(this.#options.budget, this.#options.slo);
    this.#shed = this.#options.overload === "shed";
    this.#queue = new CallQueue(this.#shed);
    this.#gate = new AdmissionGate(this.#options.promotedShare, this.#options.maxInFlightCalls);
    this.#ctx = {
      now: deps.clock.now(),
      cost: this.#cost,
      weights: this.#options.augserve,
      pressure: 0,
      shed: this.#shed,
    };
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
    this.#sample({ kind: "server", at: now, signals });
    const budget = this.#options.budget;
    const [low, high] = budget.mode === "adaptive" ? [budget.kvLowWater, budget.kvHighWater] : [0.8, 0.95];
    if (this.#pressure.update(signals, low, high)) {
      this.#ctx.pressure = this.#pressure.level;
      if (this.#policy.usesLiveState) this.#queue.startRescore();
    }
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
      for (const call of run.queued) this.#rescore(call);
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
      this.#score(call);
      if (this.#shed && !call.promoted) {
        if (first && this.#refuses(call, now)) return call;
        if (call.tier % TIERS_PER_CLASS === Stage.Committed)
          this.#overload.onCommitted(call.queuedCharge, now);
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
    const tenant = call.tenant;
    const ledger = this.#gate.ledger;
    const budget = this.#budget.tokens;
    const hold = this.#overload.meanHoldMs ?? this.#cost.callMs(call.uncachedPromptTokens, 1);
    const costMs = remainingCostMs(call, this.#policy.view(run), this.#cost);
    const verdict = shedVerdict({
      costMs,
      meanCostMs: this.#overload.onNewRun(costMs),
      ahead: tenant?.index?.tokensBefore(call.tier, call.key, call.callId) ?? 0,
      charge: call.queuedCharge,
      budget,
      inFlightTokens: ledger.tokens,
      meanHoldMs: hold,
      rankedShare: this.#queue.promotedSize > 0 ? 1 - this.#options.promotedShare : 1,
      tenantsWaiting: this.#queue.tenants.waiting + (tenant && tenant.heap.size === 0 ? 1 : 0),
      inflowPerMs: this.#overload.inflowPerMs(now),
      ttftMs: run.slo.ttftMs,
      serverTtftMs: this.#overload.serverTtftMs(this.#cost.callMs(call.uncachedPromptTokens, 0)),
    });
    if (verdict === null) return false;
    const error = new AugServeOverloadedError(
      run.id,
      verdict.predictedWaitMs,
      verdict.limitMs,
      verdict.retryAfterMs,
    );
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
  #admit(call: CallRecord, charge: number, now: number): void {
    this.#queue.remove(call);
    const run = call.run;
    run.removeQueued(call);
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
      this.#addOutput(call, final.outputTokens - call.outputTokens);
    }
    run.lastContextTokens = finiteNonNegative(final?.promptTokens ?? call.promptTokens) + call.outputTokens;
    call.state = CallState.Released;
    call.handlers = null;
    run.running -= 1;
    this.#gate.release(call, outcome);
    this.#overload.onRelease(call.charge, now - call.admittedAt);
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
    if (outcome === "error") this.#sample({ kind: "error", at: now });
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
      const ttft = now - call.admittedAt;
      this.#cost.observeTtft(ttft, call.uncachedPromptTokens);
      this.#overload.onFirstToken(ttft);
      const sample = this.#ttftSample;
      sample.at = now;
      sample.ms = ttft;
      this.#sample(sample);
      if (run.firstTokenAt === null) {
        run.firstTokenAt = now;
        // A missed TTFT target can never be met again: latch hopeless and re-rank its queued calls.
        if (now - run.arrivalAt > run.slo.ttftMs && !run.hopeless) {
          run.hopeless = true;
          for (const queued of run.queued) this.#rescore(queued);
        }
      }
      this.#pump();
    },
    tokens: (call, count) => {
      if (call.state !== CallState.Running || !(count > 0) || !Number.isFinite(count)) return;
      if (call.firstTokenAt < 0) this.#host.firstToken(call);
      const now = this.#advance();
      if (call.outputTokens > 0) {
        const gap = now - call.lastTokenAt;
        this.#cost.observeDecode(gap, count);
        const sample = this.#tokenSample;
        sample.at = now;
        sample.msPerToken = gap / count;
        sample.tokens = count;
        this.#sample(sample);
      }
      call.lastTokenAt = now;
      this.#addOutput(call, count);
      this.#pump();
    },
  };

  #addOutput(call: CallRecord, count: number): void {
    call.outputTokens += count;
    call.run.outputTokens += count;
    call.run.attainedTokens += count;
    call.run.attainedMs += this.#cost.callMs(0, count);
  }

  /** Scores a call for the state at `#ctx.now`: the policy's tier and key, the epoch, the queued charge. */
  #score(call: CallRecord): void {
    this.#policy.score(call, this.#ctx);
    call.scoredEpoch = this.#queue.epoch;
    if (this.#shed) call.queuedCharge = this.#chargeOf(call);
  }

  readonly #scoreFn = (call: CallRecord) => this.#score(call);

  #rescore(call: CallRecord): void {
    this.#score(call);
    this.#queue.rekey(call);
  }

  #chargeOf(call: CallRecord): number {
    return Math.ceil(call.uncachedPromptTokens + expectedOutputTokens(call, this.#policy.view(call.run)));
  }

  readonly #chargeFn = (call: CallRecord) => this.#chargeOf(call);

  #sample(sample: BudgetSample): void {
    // One context object, refreshed per sample: the hot path allocates only the sample.
    const context = this.#budgetContext;
    context.inFlightTokens = this.#gate.ledger.tokens;
    context.queuedCalls = this.#queue.size;
    const change = this.#budget.onSample(sample, context);
    if (change) this.#events.emit("budgetChanged", change);
  }

  readonly #onPromote = (call: CallRecord) => {
    call.run.starving = true;
  };

  /** Applies what time made due; returns now. */
  #advance(): number {
    const now = this.#clock.now();
    this.#ctx.now = now;
    for (let call = this.#queue.takeDue(now); call; call = this.#queue.takeDue(now)) {
      this.#score(call);
      if (call.transitionAt <= now) call.transitionAt = Number.POSITIVE_INFINITY;
      this.#queue.rekey(call);
    }
    this.#gate.ledger.counters.promoted += this.#queue.promoteStarved(
      now,
      this.#options.maxWaitMs,
      this.#onPromote,
    );
    if (this.#policy.usesLiveState && this.#cost.takeEpoch(now)) this.#queue.startRescore();
    if (this.#queue.rescoring) this.#queue.rescoreSome(RESCORE_PER_OPERATION, this.#scoreFn);
    if (now >= this.#budget.nextDecisionAt) this.#sample({ kind: "tick", at: now });
    return now;
  }

  /**
   * Admits queued calls in order while they fit. Re-entrant calls (from `onAdmit`) fold into the loop. Returns
   * at once when neither the queue, nor the budget, nor what is in flight changed since admission last
   * stopped (most operations are token reports, which change none of them).
   */
  #pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    const ledger = this.#gate.ledger;
    if (
      this.#queue.version === this.#stuckVersion &&
      this.#budget.tokens === this.#stuckBudget &&
      ledger.tokens === this.#stuckTokens &&
      ledger.calls === this.#stuckCalls
    ) {
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        for (;;) {
          const budget = this.#budget.tokens;
          const next = this.#gate.next(this.#queue, budget, this.#chargeFn);
          if (next === undefined) break;
          this.#admit(next, this.#gate.nextCharge, this.#ctx.now);
        }
      } while (this.#pumpAgain);
    } finally {
      this.#pumping = false;
      this.#stuckVersion = this.#queue.version;
      this.#stuckBudget = this.#budget.tokens;
      this.#stuckTokens = ledger.tokens;
      this.#stuckCalls = ledger.calls;
    }
  }
}
