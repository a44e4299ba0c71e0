/**
 * Orchestration: the scheduler loop (DESIGN.md section 4). Order comes from a policy (policies.ts) over the
 * queue (queue.ts), capacity from a budget controller (budget.ts); this class owns the state transitions
 * of calls and runs, each in one place, and asserts the invariants where state changes.
 *
 * There are no timers: every public operation first applies what time made due (`#advance`: deadlines,
 * starvation promotions, scoring epochs, budget decisions), then does its work, then admits what fits
 * (`#pump`). Admission is strict in queue order: if the next call does not fit, nothing behind it is
 * admitted (no backfilling, so a large call cannot be starved by a stream of small ones); a call larger than
 * the whole budget is admitted alone when nothing is in flight.
 */
import {
  type BudgetContext,
  type BudgetController,
  type BudgetSample,
  createBudgetController,
} from "./budget.js";
import { type CallHost, CallRecord, CallState } from "./call-record.js";
import { CostModel } from "./cost-model.js";
import { type BudgetDemand, emptyDemand, fleetScore } from "./demand.js";
import { CallCancelledError, QueueFullError } from "./errors.js";
import { rethrowLater, SchedulerEmitter } from "./events.js";
import { InFlightLedger } from "./in-flight.js";
import {
  parseOptions,
  parseSchedulerOptions,
  type ResolvedSchedulerOptions,
  type SchedulerOptions,
  SloSchema,
} from "./options.js";
import { createPolicy, expectedOutputTokens, type Policy, type ScoreContext } from "./policies.js";
import { PressureGauge } from "./pressure.js";
import { CallQueue } from "./queue.js";
import { type RunOps, SchedulerRun } from "./run-handle.js";
import { finiteNonNegative, RunState } from "./run-state.js";
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

export class Scheduler implements SchedulerApi {
  readonly #clock: Clock;
  readonly #options: ResolvedSchedulerOptions;
  readonly #policy: Policy;
  readonly #queue = new CallQueue();
  readonly #cost: CostModel;
  readonly #budget: BudgetController;
  readonly #events = new SchedulerEmitter();
  readonly #ctx: ScoreContext;
  readonly #ledger = new InFlightLedger();
  readonly #pressure = new PressureGauge();
  #nextCallId = 1;
  #nextRunId = 1;
  #activeRuns = 0;
  #parkedRuns = 0;
  #pumping = false;
  #pumpAgain = false;
  readonly #budgetContext: BudgetContext = { inFlightTokens: 0, queuedCalls: 0 };
  readonly #demand: BudgetDemand = emptyDemand();

  /** @throws SchedulerOptionsError naming the invalid field. */
  constructor(options: SchedulerOptions | undefined, deps: SchedulerDeps) {
    this.#options = parseSchedulerOptions(options);
    this.#clock = deps.clock;
    this.#policy = createPolicy(this.#options.policy);
    this.#cost = new CostModel(this.#options.costModel);
    this.#budget = deps.budget ?? createBudgetController(this.#options.budget, this.#options.slo);
    this.#ctx = { now: deps.clock.now(), cost: this.#cost, weights: this.#options.augserve, pressure: 0 };
  }

  /**
   * Starts a run. `features` feed Stage I; `slo` overrides the default SLO (validated).
   * @example const run = scheduler.beginRun({ features: { promptTokens: 800, remainingToolRounds: 3,
   *   outputTokensPerCall: 120, finalOutputTokens: 300 } });
   */
  beginRun(options: BeginRunOptions): RunHandle {
    const now = this.#advance();
    const slo = options.slo ? parseOptions(SloSchema, options.slo) : this.#options.slo;
    const id = options.runId ?? `run-${this.#nextRunId++}`;
    const run = new RunState(id, options.features, slo, this.#options.slo, now);
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
      this.#queue.rescoreAll((call) => this.#policy.score(call, this.#ctx));
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
    return {
      policy: this.#policy.name,
      now: this.#clock.now(),
      queued: this.#queue.size,
      inFlightCalls: this.#ledger.calls,
      inFlightTokens: this.#ledger.tokens,
      budgetTokens: this.#budget.tokens,
      activeRuns: this.#activeRuns,
      parkedRuns: this.#parkedRuns,
      counters: { ...this.#ledger.counters },
      promotedQueued: this.#queue.promotedSize,
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
      this.#unpark(run, now);
      run.ended = true;
      this.#activeRuns -= 1;
      for (const call of [...run.queued]) {
        this.#reject(call, new CallCancelledError("run-ended", run.id, call.callId), "run-ended");
      }
      this.#events.emit("runEnded", { runId: run.id, outcome });
      this.#pump();
    },
  };

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
    if (run.ended) {
      this.#reject(call, new CallCancelledError("run-ended", run.id, call.callId), "run-ended");
    } else if (this.#queue.size >= this.#options.maxQueueLength) {
      this.#reject(call, new QueueFullError(this.#options.maxQueueLength, run.id), "queue-full");
    } else {
      this.#policy.score(call, this.#ctx);
      this.#queue.add(call);
      run.queued.push(call);
      this.#pump();
    }
    return call;
  }

  /** Queued (or never queued) -> rejected: the one place a call is turned away. */
  #reject(call: CallRecord, error: unknown, reason: SchedulerEvents["rejected"]["reason"]): void {
    if (call.state !== CallState.Queued) return;
    const wasQueued = call.rankIndex >= 0 || call.promoted;
    if (wasQueued) {
      this.#queue.remove(call);
      call.run.removeQueued(call);
    }
    call.state = CallState.Rejected;
    this.#ledger.counters.rejected += 1;
    const handlers = call.handlers;
    call.handlers = null;
    if (this.#events.has("rejected")) {
      const payload: SchedulerEvents["rejected"] = { runId: call.run.id, reason };
      if (reason === "queue-full") payload.queueLimit = this.#options.maxQueueLength;
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
    this.#ledger.charge(call.callId, charge, this.#budget.tokens);
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
    this.#ledger.release(call.charge, outcome);
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
      this.#sample({ kind: "ttft", at: now, ms: ttft });
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
        this.#sample({ kind: "tokenLatency", at: now, msPerToken: gap / count, tokens: count });
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

  #rescore(call: CallRecord): void {
    this.#policy.score(call, this.#ctx);
    this.#queue.rekey(call);
  }

  #sample(sample: BudgetSample): void {
    // One context object, refreshed per sample: the hot path allocates only the sample.
    const context = this.#budgetContext;
    context.inFlightTokens = this.#ledger.tokens;
    context.queuedCalls = this.#queue.size;
    const change = this.#budget.onSample(sample, context);
    if (change) this.#events.emit("budgetChanged", change);
  }

  /** Applies what time made due; returns now. */
  #advance(): number {
    const now = this.#clock.now();
    this.#ctx.now = now;
    for (let call = this.#queue.takeDue(now); call; call = this.#queue.takeDue(now)) {
      this.#policy.score(call, this.#ctx);
      if (call.transitionAt <= now) call.transitionAt = Number.POSITIVE_INFINITY;
      this.#queue.rekey(call);
    }
    this.#ledger.counters.promoted += this.#queue.promoteStarved(now, this.#options.maxWaitMs);
    if (this.#cost.takeEpoch(now)) this.#queue.rescoreAll((call) => this.#policy.score(call, this.#ctx));
    if (now >= this.#budget.nextDecisionAt) this.#sample({ kind: "tick", at: now });
    return now;
  }

  /** Admits queued calls in order while they fit. Re-entrant calls (from `onAdmit`) fold into the loop. */
  #pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        for (let call = this.#queue.peek(); call; call = this.#queue.peek()) {
          const charge = Math.ceil(
            call.uncachedPromptTokens + expectedOutputTokens(call, this.#policy.view(call.run)),
          );
          if (!this.#ledger.fits(charge, this.#budget.tokens)) break;
          this.#admit(call, charge, this.#ctx.now);
        }
      } while (this.#pumpAgain);
    } finally {
      this.#pumping = false;
    }
    if (this.#budget.onDemand) this.#reportDemand();
  }

  /** Tells a shared budget controller what the queue wants (after each admission pass). */
  #reportDemand(): void {
    const d = this.#demand;
    const head = this.#queue.peek();
    d.at = this.#ctx.now;
    d.inFlightTokens = this.#ledger.tokens;
    d.inFlightCalls = this.#ledger.calls;
    d.queuedCalls = this.#queue.size;
    if (head) {
      d.headCharge = Math.ceil(
        head.uncachedPromptTokens + expectedOutputTokens(head, this.#policy.view(head.run)),
      );
      d.headRank = head.promoted ? 0 : 1 + head.tier;
      d.headScore = head.promoted
        ? head.enqueuedAt - d.at
        : fleetScore(head, this.#policy.name, this.#options.augserve, d.at);
    } else {
      d.headCharge = 0;
      d.headRank = Number.POSITIVE_INFINITY;
      d.headScore = 0;
    }
    this.#budget.onDemand?.(d);
  }
}
