import type { BaseMessage } from "@langchain/core/messages";
import { CallAccounting, callSpec } from "../accounting/index.js";
import { EventLoopLagMonitor } from "../backend/event-loop-lag.js";
import { MetricsPoller } from "../backend/poller.js";
import { createSharedScheduler, type SharedScheduler } from "../fleet/shared-scheduler.js";
import type { Predictor } from "../predict/types.js";
import type { CallContext, RunHandle, SchedulerApi } from "../scheduler/types.js";
import { armOf, treatmentsOf } from "./ab.js";
import type { ActiveCall, InvokableModel } from "./call-model.js";
import { ActiveModelCall, CallDeadlines } from "./call-state.js";
import { AugServeChatModel } from "./chat-model.js";
import { defaultPredictor, defaultScheduler } from "./defaults.js";
import {
  AugServeDrainingError,
  AugServeIncompleteResponseError,
  AugServeOptionsError,
  AugServeTimeoutError,
} from "./errors.js";
import { type AugServeMetrics, metricsFor } from "./metrics.js";
import { type AugServeMiddleware, buildMiddleware } from "./middleware.js";
import { CallObserver, readUsage } from "./observer.js";
import { type AugServeOptions, parseAugServeOptions, type ResolvedAugServeOptions } from "./options.js";
import {
  type AbReport,
  type AgentRunOutcome,
  type AgentRunRecord,
  type ArmName,
  buildReport,
  type Treatment,
} from "./report.js";
import { isEmptyResponseError, isIncomplete } from "./responses.js";
import { RunBook } from "./run-book.js";
import {
  type BeginRunInput,
  type ModelCallInput,
  newRunId,
  predictionContextOf,
  toEstimate,
} from "./run-inputs.js";
import { TrackedRun } from "./run-state.js";
import { conversationOf } from "./tokens.js";

/** The default reading of a call's result: it is the model's message. */
const asMessage = (result: unknown) => result as BaseMessage;

/**
 * What a call's handler returned after the model itself failed: a retry or fallback middleware inside
 * `augserve()` answered with a message of its own (`modelRetryMiddleware`'s `onFailure: "continue"`). Thrown
 * inside the admission so that the scheduler counts a failed call, and caught to hand the answer on.
 */
class AnsweredAfterFailure<T> {
  constructor(readonly result: T) {}
}

/** A message no model produced: no response id and no usage (what a middleware makes with `new AIMessage`). */
function madeByMiddleware(message: BaseMessage | undefined): boolean {
  const m = message as { id?: unknown; usage_metadata?: unknown } | undefined;
  return m === undefined || (m.id === undefined && m.usage_metadata === undefined);
}

/** What `aug.stats()` returns. */
export interface AugServeStats {
  /** Runs being tracked now (begun and not ended). */
  activeRuns: number;
  /** Of those, runs in a tool phase. */
  parkedRuns: number;
  /** Runs ended by the sweep (as `"abandoned"`) since the instance was created: each is a boundary missed. */
  sweptRuns: number;
}

/** The clock of run metrics, ms. */
const now = () => performance.now();

/** A run's end as the scheduler sees it: an abandoned run is no failure of the server, so it reads as aborted. */
function schedulerOutcome(outcome: AgentRunOutcome): "ok" | "error" | "aborted" {
  return outcome === "abandoned" ? "aborted" : outcome;
}

/**
 * An AugServe instance. Create it with {@link createAugServe}; use {@link AugServe.middleware} with
 * `createAgent`, {@link AugServe.wrap} (or `withAugServe`) for other code, and {@link AugServe.report} for
 * the A/B comparison.
 */
export class AugServe {
  readonly options: ResolvedAugServeOptions;
  readonly scheduler: SchedulerApi;
  readonly predictor: Predictor;
  readonly #accounting: CallAccounting;
  readonly #metrics: AugServeMetrics | undefined;
  readonly #untrack: (() => void) | undefined;
  readonly #poller: MetricsPoller | undefined;
  /** The app's event-loop delay, discounted by the budget (issue 20). */
  readonly #lag: EventLoopLagMonitor;
  readonly #policy: string;
  readonly #book: RunBook;
  readonly #deadlines: CallDeadlines;
  /**
   * The SLO each run overrides the scheduler's with: only an SLO given in these options (the scheduler
   * validates an override on every `beginRun`; without one, its own SLO, 2000 ms / 100 ms per token by
   * default as here, applies).
   */
  readonly #runSlo: { slo?: ResolvedAugServeOptions["slo"] };
  #middleware: AugServeMiddleware | undefined;
  /** The scheduler this instance created for `shared` (closed by `close()`). */
  readonly #shared: SharedScheduler | undefined;

  constructor(options?: AugServeOptions) {
    this.options = parseAugServeOptions(options);
    this.#runSlo = options?.slo === undefined ? {} : { slo: this.options.slo };
    if (this.options.shared !== undefined) {
      if (this.options.scheduler !== undefined)
        throw new AugServeOptionsError(["shared: give either `scheduler` or `shared`, not both"], null);
      this.#shared = createSharedScheduler({ slo: this.options.slo, shared: this.options.shared });
    }
    this.scheduler = this.options.scheduler ?? this.#shared ?? defaultScheduler();
    this.predictor = this.options.predictor ?? defaultPredictor();
    this.#accounting = new CallAccounting({
      charsPerToken: this.options.charsPerToken,
      ratioAlpha: this.options.tokenRatioAlpha,
    });
    this.#deadlines = new CallDeadlines(this.options.callTimeoutMs);
    this.#book = new RunBook(this.options.runIdleTimeoutMs, (run) => {
      this.endRun(run, "abandoned");
      this.#metrics?.sweptRuns.inc();
    });
    this.#policy = this.scheduler.snapshot().policy;
    if (this.options.registry !== null) {
      this.#metrics = metricsFor(this.options.registry, this.options.metricsPrefix);
      this.#untrack = this.#metrics.track(this.scheduler);
    }
    this.#lag = new EventLoopLagMonitor({ onLag: (ms) => this.scheduler.observeClientLag?.(ms) }).start();
    if (this.options.serverMetricsUrl !== undefined) {
      this.#poller = new MetricsPoller({
        url: this.options.serverMetricsUrl,
        intervalMs: this.options.metricsPollIntervalMs,
        onSignals: (signals) => this.scheduler.observe(signals),
        ...(this.options.logger ? { logger: this.options.logger } : {}),
      }).start();
    }
  }

  /**
   * The agent middleware of this instance (one per instance; every agent may share it).
   * @example createAgent({ model, tools, middleware: [aug.middleware()] })
   */
  middleware(): AugServeMiddleware {
    this.#middleware ??= buildMiddleware(this);
    return this.#middleware;
  }

  /**
   * Wraps a chat model so that its calls are scheduled by this instance (see `withAugServe`).
   * @example const model = aug.wrap(new ChatOpenAI({ model: "llama", configuration: { baseURL } }));
   */
  wrap(model: InvokableModel): AugServeChatModel {
    // Wrapping a model this scheduler already schedules would queue each call twice (and, under a small
    // budget, wait on itself): hand the existing wrapper back.
    if (model instanceof AugServeChatModel && model.augserve.scheduler === this.scheduler) return model;
    return new AugServeChatModel(model, this);
  }

  /** Ends the run `runId` (idempotent; unknown ids are ignored). For runs named by `augserveRunId`. */
  endRunById(runId: string, outcome: AgentRunOutcome = "ok"): void {
    const run = this.#book.get(runId);
    if (run !== undefined) this.endRun(run, outcome);
  }

  /** Treatment of each arm, from the A/B mode. */
  get treatments(): Record<ArmName, Treatment> {
    return treatmentsOf(this.options.abTest);
  }

  /** The arm of a run: deterministic and sticky (a hash of the seed and the key). */
  assignArm(runId: string, threadId: string | undefined): ArmName {
    return armOf(this.options.abTest, runId, threadId);
  }

  /** A tracked run by id, if it is still running. */
  getRun(runId: string): TrackedRun | undefined {
    return this.#book.get(runId);
  }

  /**
   * Begins a run: assigns its arm and, in a scheduled arm, begins it in the scheduler with Stage I
   * predictions, its service class and its fairness key. Throws `AugServeDrainingError` after `drain()`.
   */
  beginRun(input: BeginRunInput): TrackedRun {
    if (this.#book.draining) throw new AugServeDrainingError();
    const id = input.runId ?? newRunId();
    const arm = this.assignArm(id, input.threadId);
    const context = predictionContextOf(input.messages, input.tools, this.options.charsPerToken);
    const promptTokens = context.promptTokens ?? 0;
    let handle: RunHandle | undefined;
    if (this.treatments[arm] === "scheduled") {
      const estimate = toEstimate(this.predictor.predict(context));
      handle = this.scheduler.beginRun({
        runId: id,
        features: { ...estimate, promptTokens },
        ...this.#runSlo,
        ...(input.priorityClass !== undefined ? { priorityClass: input.priorityClass } : {}),
        ...(input.tenant !== undefined ? { tenant: input.tenant } : {}),
      });
    }
    const run = new TrackedRun(id, arm, handle, context, input.arrivalMs ?? now(), input.threadId);
    run.priorityClass = input.priorityClass;
    run.tenant = input.tenant;
    this.#book.track(run);
    if (input.signal !== undefined) {
      const signal = input.signal;
      if (signal.aborted) this.endRun(run, "aborted");
      else {
        const onAbort = () => this.endRun(run, "aborted");
        signal.addEventListener("abort", onAbort, { once: true });
        run.onEnd(() => signal.removeEventListener("abort", onAbort));
      }
    }
    return run;
  }

  /**
   * A run that ended at a final answer goes on (an `afterModel` hook sent the agent back to the model): it is
   * tracked again, and its next segment is a new run for the scheduler (its record is replaced at its end).
   */
  reopenRun(run: TrackedRun): void {
    if (!run.ended) return;
    let handle: RunHandle | undefined;
    if (run.handle !== undefined) {
      const prediction = this.predictor.predict({ ...run.context, toolRoundsDone: run.toolRoundsDone });
      handle = this.scheduler.beginRun({
        runId: run.nextSegmentId(),
        features: { ...toEstimate(prediction), promptTokens: run.context.promptTokens ?? 0 },
        ...this.#runSlo,
        ...(run.priorityClass !== undefined ? { priorityClass: run.priorityClass } : {}),
        ...(run.tenant !== undefined ? { tenant: run.tenant } : {}),
      });
    }
    run.reopen(handle);
    this.#book.track(run);
  }

  /**
   * Performs one model call of a run: waits for admission (scheduled arm), runs `invoke` with the call's
   * observer, signal and priority, and reports first token, tokens and usage. The budget is released
   * exactly once by the scheduler whether `invoke` resolves, throws, is aborted or times out.
   */
  async callModel<T>(
    run: TrackedRun,
    input: ModelCallInput,
    invoke: (call: ActiveCall) => Promise<T>,
    signal?: AbortSignal,
    messageOf: (result: T) => BaseMessage | undefined = asMessage,
  ): Promise<T> {
    // The next call means the previous tool round is over, whatever the tool hooks saw.
    this.#closeToolPhase(run);
    // What the scheduler is told comes from what this client observes, as in the virtual bench (src/accounting).
    const planned = this.#accounting.plan(run, input.modelName, conversationOf(input.messages, input.tools));
    // The call's own signal follows the caller's and aborts at the time-out: one controller and one listener
    // per call (`AbortSignal.any` costs 20 to 50 us a call here, more than everything else).
    const timeoutMs = this.options.callTimeoutMs;
    const active = new ActiveModelCall(signal, this.#deadlines, () => new CallObserver({ onChunk }));
    const callSignal = active.signal;
    const queuedAt = now();
    let admittedAt: number | undefined;
    let chunks = 0;
    let ctx: CallContext | undefined;
    const arm = run.arm;
    const policy = run.handle === undefined ? "none" : this.#policy;
    const onFirst = () => {
      const t = now();
      run.firstTokenMs ??= t;
      ctx?.onFirstToken();
      this.#metrics?.callTtft.observe({ policy, arm }, (t - (admittedAt ?? t)) / 1000);
    };
    // The observer is made only when a call streams (a callback handler switches LangChain's callback
    // machinery on for the call).
    const onChunk = () => {
      if (chunks === 0) onFirst();
      chunks += 1;
      ctx?.onTokens(1);
    };
    const execute = async (context: CallContext | undefined): Promise<T> => {
      ctx = context;
      admittedAt = now();
      run.queueWaitMs += admittedAt - queuedAt;
      run.callsInFlight += 1;
      this.#metrics?.recordAdmission(policy, arm, admittedAt - queuedAt);
      try {
        if (this.options.serverPriority) active.priority = context?.priority;
        let result: T;
        try {
          result = await invoke(active);
        } catch (error) {
          // @langchain/core's plain Error for a stream cut before its first chunk: the same failure as a
          // stream cut later, so the same typed error (a try/catch, not `.catch`: no extra promise per call).
          if (isEmptyResponseError(error))
            throw new AugServeIncompleteResponseError(input.modelName, 0, { cause: error });
          throw error;
        }
        const observer = active.observed;
        const message = messageOf(result) ?? observer?.lastMessage;
        if (active.lastInvokeFailed && madeByMiddleware(message)) throw new AnsweredAfterFailure(result);
        // A cut stream fails the call here, inside the admission: the scheduler counts a failure and the
        // predictor learns nothing from a run that did not really finish.
        if (isIncomplete(message, observer?.lastGenerationInfo))
          throw new AugServeIncompleteResponseError(input.modelName, message?.text.length ?? 0);
        if (chunks === 0) onFirst();
        const usage = readUsage(message);
        const outputTokens =
          usage.outputTokens ?? Math.max(chunks, Math.ceil((message?.text.length ?? 0) / 4));
        context?.setResult({
          outputTokens,
          ...(usage.promptTokens !== undefined ? { promptTokens: usage.promptTokens } : {}),
          ...(usage.cachedPromptTokens !== undefined ? { cachedPromptTokens: usage.cachedPromptTokens } : {}),
        });
        this.#accounting.settle(run, planned, { ...usage, outputTokens });
        const toolCalls = (message as { tool_calls?: unknown[] } | undefined)?.tool_calls?.length ?? 0;
        run.recordCall(outputTokens, toolCalls, now());
        return result;
      } finally {
        run.callsInFlight -= 1;
        run.modelMs += now() - (admittedAt ?? now());
      }
    };
    run.callsActive += 1;
    try {
      const result =
        run.handle === undefined
          ? await execute(undefined)
          : await run.handle.call(callSpec(planned), execute, { signal: callSignal });
      this.#metrics?.calls.inc({ policy, arm, outcome: "ok" });
      run.lastCallFailed = false;
      // A final answer ends the run: nothing is left to re-predict.
      if (run.calls.at(-1)?.toolCalls !== 0) this.#refreshEstimate(run);
      return result;
    } catch (error) {
      run.lastCallFailed = true;
      if (error instanceof AnsweredAfterFailure) {
        this.#metrics?.calls.inc({ policy, arm, outcome: "error" });
        return error.result as T;
      }
      const timedOut = callSignal.aborted && signal?.aborted !== true;
      const outcome = timedOut ? "timeout" : signal?.aborted ? "aborted" : "error";
      this.#metrics?.calls.inc({ policy, arm, outcome });
      if (timedOut) throw new AugServeTimeoutError(timeoutMs, admittedAt === undefined);
      throw error;
    } finally {
      run.callsActive -= 1;
      run.lastActivityMs = now();
      active.dispose();
    }
  }

  /** The model asked for tool calls: the run enters its tool phase (it holds no budget while tools run). */
  parkRun(run: TrackedRun): void {
    if (run.park(now())) this.#parkHandle(run);
  }

  /** A tool call of the run starts; the first of a round parks the run. */
  toolStarted(run: TrackedRun): void {
    if (run.toolStarted(now())) this.#parkHandle(run);
  }

  /**
   * A tool call finished or threw (`exits`: its result is one the agent ends on); the last of a round
   * unparks the run.
   */
  toolFinished(run: TrackedRun, tool: string, latencyMs: number, toolCallId?: string, exits = false): void {
    this.predictor.learnToolLatency(tool, latencyMs);
    if (run.toolFinished(now(), toolCallId, exits)) this.#closeToolPhase(run);
  }

  /**
   * Ends a run (idempotent): the scheduler forgets it, the predictor learns its truth (`"ok"` only), its
   * record and metrics are written. A run that continued after a final answer replaces its record.
   */
  endRun(run: TrackedRun, outcome: AgentRunOutcome): void {
    this.#end(run, outcome, true);
  }

  /**
   * The run's invocation stopped at an interrupt (a human decides): the run ends for now, for the scheduler
   * and in the records (as `"abandoned"`), without being counted or taught; a later invocation on its thread
   * that resumes it continues it (`reopenRun`), and its record is replaced when it ends.
   */
  suspendRun(run: TrackedRun): void {
    if (this.#end(run, "abandoned", false)) run.suspended = true;
  }

  #end(run: TrackedRun, outcome: AgentRunOutcome, report: boolean): boolean {
    if (!run.markEnded(outcome)) return false;
    this.#closeToolPhase(run, false);
    run.handle?.end(schedulerOutcome(outcome));
    const record = run.record(outcome, now(), this.options.slo);
    this.#book.finish(run, record);
    // A continued run was counted once already: Prometheus counters cannot take a count back.
    if (report && !run.reported) {
      run.reported = true;
      if (outcome === "ok") this.predictor.learnRun({ ...run.context, toolRoundsDone: 0 }, run.observation());
      this.#metrics?.recordRun(record, run.handle === undefined ? "none" : this.#policy);
    }
    return true;
  }

  /**
   * Resolves when this instance tracks no run (every run ended, was aborted or was swept as abandoned); at
   * once when it tracks none now. Like p-queue's `onIdle()`.
   * @example await aug.onIdle(); // every agent run that used this instance is over
   */
  onIdle(): Promise<void> {
    return this.#book.onIdle();
  }

  /**
   * Graceful shutdown: from now on a new run is refused (its first model call throws
   * `AugServeDrainingError`), while runs already begun go on, their tool phases and follow-up calls
   * included; resolves when the last has ended (`onIdle()`). Call `close()` afterwards.
   * @example process.on("SIGTERM", async () => { server.close(); await aug.drain(); aug.close(); });
   */
  drain(): Promise<void> {
    this.#book.drain();
    return this.#book.onIdle();
  }

  /** True after `drain()`. */
  get draining(): boolean {
    return this.#book.draining;
  }

  /**
   * Ends, as `"abandoned"`, every run with no model or tool call under way and no activity for
   * `runIdleTimeoutMs` (its invocation stopped where the middleware could not see, e.g. an interrupt that was
   * never resumed). Runs on an unref'd timer while runs are tracked; call it to sweep at once.
   * Returns the number of runs swept.
   */
  sweep(): number {
    return this.#book.sweep();
  }

  /**
   * Runs tracked now, parked now, and swept so far.
   * @example await agent.invoke(input); aug.stats(); // { activeRuns: 0, parkedRuns: 0, sweptRuns: 0 }
   */
  stats(): AugServeStats {
    return { activeRuns: this.#book.size, parkedRuns: this.#book.parked, sweptRuns: this.#book.swept };
  }

  /** Both arms' metrics side by side, with confidence intervals and the noise-floor verdict. */
  report(): AbReport {
    const ab = this.options.abTest;
    return buildReport(this.#book.records, {
      mode: ab?.mode ?? "off",
      fraction: ab?.fraction ?? 1,
      slo: this.options.slo,
      treatments: this.treatments,
      ...(ab?.noiseFloor !== undefined ? { noiseFloor: ab.noiseFloor } : {}),
    });
  }

  /** Finished-run records (copies), e.g. for custom analysis. */
  records(): AgentRunRecord[] {
    return this.#book.records.map((r) => ({ ...r }));
  }

  /** Drops the finished-run records (e.g. after a warm-up). */
  resetRecords(): void {
    this.#book.resetRecords();
  }

  /** The learned ratio of reported to estimated prompt tokens of a model (1 before any usage was seen). */
  tokenRatio(modelName: string): number {
    return this.#accounting.ratio(modelName);
  }

  /** Runs being tracked now. */
  get activeRuns(): number {
    return this.#book.size;
  }

  /**
   * Stops the metrics poller and the sweep timer and removes this instance's scheduler from the gauges; with
   * `shared`, returns the lease to the fleet and closes the Redis connections. Running runs go on (use
   * `drain()` first to wait for them).
   */
  close(): Promise<void> {
    this.#poller?.stop();
    this.#lag.stop();
    this.#untrack?.();
    this.#book.stop();
    this.#deadlines.stop();
    return this.#shared?.close() ?? Promise.resolve();
  }

  #parkHandle(run: TrackedRun): void {
    if (run.handle === undefined) return;
    const expectedLatencyMs = run.expectedToolLatencyMs ?? this.predictor.predict(run.context).toolLatencyMs;
    run.handle.park({ expectedLatencyMs });
  }

  /** Ends the run's tool phase; `learn`: the phase ended at the next model call, so its tools are done. */
  #closeToolPhase(run: TrackedRun, learn = true): void {
    if (!run.closeToolPhase(now())) return;
    run.handle?.unpark();
    if (!learn) return;
    // No tool hook timed them: each of the round's tools ran at most the phase's length (exact for one).
    for (const tool of new Set(run.untimedTools())) this.predictor.learnToolLatency(tool, run.lastPhaseMs);
  }

  #refreshEstimate(run: TrackedRun): void {
    if (run.handle === undefined) return;
    const prediction = this.predictor.predict({ ...run.context, toolRoundsDone: run.toolRoundsDone });
    run.expectedToolLatencyMs = prediction.toolLatencyMs;
    run.handle.updateEstimate(toEstimate(prediction));
  }
}

/**
 * Creates an AugServe instance: validates the options (throws `AugServeOptionsError`), picks the
 * process-wide scheduler and predictor unless given, registers the metrics, and starts the server-metrics
 * poller when `serverMetricsUrl` is set.
 *
 * @example
 * ```ts
 * const aug = createAugServe({ abTest: { fraction: 0.5 } });
 * const agent = createAgent({ model, tools, middleware: [aug.middleware()] });
 * // ... serve traffic ...
 * console.log(aug.report().comparison.ttftMs);
 * ```
 */
export function createAugServe(options?: AugServeOptions): AugServe {
  return new AugServe(options);
}
