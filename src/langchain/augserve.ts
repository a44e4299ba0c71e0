/**
 * The integration's core: one AugServe instance owns a scheduler (shared or its own), a predictor, the
 * token calibrator, the A/B assignment, the runs it tracks and their metrics. The middleware and the
 * model wrapper are thin adapters over it.
 */
import { randomUUID } from "node:crypto";
import type { BaseMessage } from "@langchain/core/messages";
import { CallAccounting, callSpec } from "../accounting/index.js";
import { MetricsPoller } from "../backend/poller.js";
import { createScheduler as createSharedScheduler, type SharedScheduler } from "../fleet/shared-scheduler.js";
import type { PredictionContext, Predictor, RunPrediction } from "../predict/types.js";
import type { CallContext, RunEstimate, RunOutcome, SchedulerApi } from "../scheduler/types.js";
import type { ActiveCall, InvokableModel } from "./call-model.js";
import { AugServeChatModel } from "./chat-model.js";
import { defaultPredictor, defaultScheduler } from "./defaults.js";
import { AugServeOptionsError, AugServeTimeoutError } from "./errors.js";
import { type AugServeMetrics, metricsFor } from "./metrics.js";
import { type AugServeMiddleware, buildMiddleware } from "./middleware.js";
import { CallObserver, readUsage, toolCallCount } from "./observer.js";
import { type AugServeOptions, parseAugServeOptions, type ResolvedAugServeOptions } from "./options.js";
import { type AbReport, type ArmName, buildReport, type RunRecord, type Treatment } from "./report.js";
import { TrackedRun } from "./run-state.js";
import { hashUnit } from "./stats.js";
import { type BindableTool, conversationOf, toolInfo } from "./tokens.js";

/** Finished runs kept for `report()`; older ones are dropped first. */
const MAX_RECORDS = 100_000;

/** What a run is begun with. */
export interface BeginRunInput {
  /** Stable id; generated when absent. */
  runId?: string;
  /** The conversation's thread id (the default A/B key). */
  threadId?: string;
  messages: readonly BaseMessage[];
  tools: readonly BindableTool[];
  /** Aborting it ends the run as `"aborted"` and aborts its queued and running calls. */
  signal?: AbortSignal;
  /** When the run arrived (`performance.now()` ms), if before this call. @default now */
  arrivalMs?: number;
}

/** What one model call is made of. */
export interface ModelCallInput {
  messages: readonly BaseMessage[];
  tools: readonly BindableTool[];
  /** Key of the per-model token ratio. */
  modelName: string;
}

function textOf(message: BaseMessage): string {
  return typeof message.content === "string" ? message.content : message.text;
}

function toEstimate(p: RunPrediction): RunEstimate {
  return {
    remainingToolRounds: p.remainingToolRounds,
    outputTokensPerCall: p.outputTokensPerCall,
    finalOutputTokens: p.finalOutputTokens,
    toolLatencyMs: p.toolLatencyMs,
  };
}

/** The clock of run metrics, ms. */
const now = () => performance.now();

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
  readonly #policy: string;
  readonly #runs = new Map<string, TrackedRun>();
  #records: RunRecord[] = [];
  #middleware: AugServeMiddleware | undefined;
  #lastSweepMs = now();
  /** The scheduler this instance created for `shared` (closed by `close()`). */
  readonly #shared: SharedScheduler | undefined;

  constructor(options?: AugServeOptions) {
    this.options = parseAugServeOptions(options);
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
    this.#policy = this.scheduler.snapshot().policy;
    if (this.options.registry !== null) {
      this.#metrics = metricsFor(this.options.registry, this.options.metricsPrefix);
      this.#untrack = this.#metrics.track(this.scheduler);
    }
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
    return new AugServeChatModel(model, this);
  }

  /** Ends the run `runId` (idempotent; unknown ids are ignored). For runs named by `augserveRunId`. */
  endRunById(runId: string, outcome: RunOutcome = "ok"): void {
    const run = this.#runs.get(runId);
    if (run !== undefined) this.endRun(run, outcome);
  }

  /** Treatment of each arm, from the A/B mode. */
  get treatments(): Record<ArmName, Treatment> {
    switch (this.options.abTest?.mode) {
      case "aa-plain":
        return { control: "plain", treatment: "plain" };
      case "aa-scheduled":
        return { control: "scheduled", treatment: "scheduled" };
      default:
        return { control: "plain", treatment: "scheduled" };
    }
  }

  /** The arm of a run: deterministic and sticky (a hash of the seed and the key). */
  assignArm(runId: string, threadId: string | undefined): ArmName {
    const ab = this.options.abTest;
    if (ab === undefined) return "treatment";
    const key = ab.key === "thread" && threadId !== undefined ? `t:${threadId}` : `r:${runId}`;
    return hashUnit(`${ab.seed}|${key}`) < ab.fraction ? "treatment" : "control";
  }

  /** A tracked run by id, if it is still running. */
  getRun(runId: string): TrackedRun | undefined {
    return this.#runs.get(runId);
  }

  /** Begins a run: assigns its arm and, in a scheduled arm, begins it in the scheduler with Stage I predictions. */
  beginRun(input: BeginRunInput): TrackedRun {
    this.#sweepIdle();
    const id = input.runId ?? randomUUID();
    const arm = this.assignArm(id, input.threadId);
    const system: string[] = [];
    const user: string[] = [];
    for (const m of input.messages) {
      const type = m.getType();
      if (type === "system") system.push(textOf(m));
      else if (type === "human") user.push(textOf(m));
    }
    const promptTokens = this.#accounting.runPromptTokens(conversationOf(input.messages, input.tools));
    const context: PredictionContext = {
      systemPrompt: system.join("\n"),
      userPrompt: user.join("\n"),
      tools: input.tools.map((t) => toolInfo(t).schema),
      toolRoundsDone: 0,
      promptTokens,
    };
    let handle: TrackedRun["handle"];
    if (this.treatments[arm] === "scheduled") {
      const estimate = toEstimate(this.predictor.predict(context));
      handle = this.scheduler.beginRun({
        runId: id,
        features: { ...estimate, promptTokens },
        slo: this.options.slo,
      });
    }
    const run = new TrackedRun(id, arm, handle, context, input.arrivalMs ?? now());
    this.#runs.set(id, run);
    if (input.signal !== undefined) {
      const signal = input.signal;
      if (signal.aborted) this.endRun(run, "aborted");
      else signal.addEventListener("abort", () => this.endRun(run, "aborted"), { once: true });
    }
    return run;
  }

  /**
   * Performs one model call of a run: waits for admission (scheduled arm), runs `invoke` with the call's
   * observer, signal and priority, and reports first token, tokens and usage. The budget is released
   * exactly once by the scheduler whether `invoke` resolves, throws, is aborted or times out.
   */
  async callModel<T extends BaseMessage>(
    run: TrackedRun,
    input: ModelCallInput,
    invoke: (call: ActiveCall) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    // The next call means the previous tool round is over, whatever the tool hooks saw.
    this.#closeToolPhase(run);
    // What the scheduler is told comes from what this client observes, as in the virtual bench (src/accounting).
    const planned = this.#accounting.plan(run, input.modelName, conversationOf(input.messages, input.tools));
    // One timer per call (cheaper than AbortSignal.timeout + AbortSignal.any on the hot path).
    const timeoutMs = this.options.callTimeoutMs;
    const timeout = timeoutMs > 0 ? new AbortController() : undefined;
    // A TimeoutError reason tells the scheduler that the call failed (a stalled server is pressure for the
    // budget controller), where a caller's abort is not.
    const timer =
      timeout === undefined
        ? undefined
        : setTimeout(
            () => timeout.abort(new DOMException(`callTimeoutMs=${timeoutMs} ms passed`, "TimeoutError")),
            timeoutMs,
          );
    timer?.unref?.();
    const callSignal =
      timeout === undefined
        ? signal
        : signal === undefined
          ? timeout.signal
          : AbortSignal.any([signal, timeout.signal]);
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
    const observer = new CallObserver({
      onChunk: () => {
        if (chunks === 0) onFirst();
        chunks += 1;
        ctx?.onTokens(1);
      },
    });
    const execute = async (context: CallContext | undefined): Promise<T> => {
      ctx = context;
      admittedAt = now();
      run.queueWaitMs += admittedAt - queuedAt;
      run.callsInFlight += 1;
      this.#metrics?.recordAdmission(policy, arm, admittedAt - queuedAt);
      try {
        const message = await invoke({
          observer,
          signal: context?.signal ?? callSignal,
          priority: this.options.serverPriority ? context?.priority : undefined,
        });
        if (chunks === 0) onFirst();
        const usage = readUsage(message);
        const outputTokens = usage.outputTokens ?? Math.max(chunks, Math.ceil(message.text.length / 4));
        context?.setResult({
          outputTokens,
          ...(usage.promptTokens !== undefined ? { promptTokens: usage.promptTokens } : {}),
          ...(usage.cachedPromptTokens !== undefined ? { cachedPromptTokens: usage.cachedPromptTokens } : {}),
        });
        this.#accounting.settle(run, planned, { ...usage, outputTokens });
        run.recordCall(outputTokens, toolCallCount(message), now());
        return message;
      } finally {
        run.callsInFlight -= 1;
        run.modelMs += now() - (admittedAt ?? now());
      }
    };
    try {
      const result =
        run.handle === undefined
          ? await execute(undefined)
          : await run.handle.call(callSpec(planned), execute, callSignal ? { signal: callSignal } : {});
      this.#metrics?.calls.inc({ policy, arm, outcome: "ok" });
      this.#refreshEstimate(run);
      return result;
    } catch (error) {
      const timedOut = timeout?.signal.aborted === true && signal?.aborted !== true;
      const outcome = timedOut ? "timeout" : signal?.aborted ? "aborted" : "error";
      this.#metrics?.calls.inc({ policy, arm, outcome });
      if (timedOut) throw new AugServeTimeoutError(timeoutMs, admittedAt === undefined);
      throw error;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  /** A tool call of the run starts; the first of a round parks the run. */
  toolStarted(run: TrackedRun, tool: string): void {
    if (run.toolStarted(now())) {
      run.handle?.park({
        tools: [tool],
        expectedLatencyMs: this.predictor.predict(run.context).toolLatencyMs,
      });
    }
  }

  /** A tool call finished or threw; the last of a round unparks the run. */
  toolFinished(run: TrackedRun, tool: string, latencyMs: number): void {
    this.predictor.learnToolLatency(tool, latencyMs);
    if (run.toolFinished(now())) this.#closeToolPhase(run);
  }

  /** Ends a run (idempotent): the scheduler forgets it, the predictor learns its truth, its metrics are recorded. */
  endRun(run: TrackedRun, outcome: RunOutcome): void {
    if (!run.markEnded()) return;
    this.#closeToolPhase(run);
    this.#runs.delete(run.id);
    run.handle?.end(outcome);
    if (outcome === "ok") this.predictor.learnRun({ ...run.context, toolRoundsDone: 0 }, run.observation());
    const record = run.record(outcome, now(), this.options.slo);
    if (this.#records.length >= MAX_RECORDS) this.#records = this.#records.slice(MAX_RECORDS / 10);
    this.#records.push(record);
    this.#metrics?.recordRun(record, run.handle === undefined ? "none" : this.#policy);
  }

  /** Both arms' metrics side by side, with confidence intervals and the noise-floor verdict. */
  report(): AbReport {
    const ab = this.options.abTest;
    return buildReport(this.#records, {
      mode: ab?.mode ?? "off",
      fraction: ab?.fraction ?? 1,
      slo: this.options.slo,
      treatments: this.treatments,
      ...(ab?.noiseFloor !== undefined ? { noiseFloor: ab.noiseFloor } : {}),
    });
  }

  /** Finished-run records (copies), e.g. for custom analysis. */
  records(): RunRecord[] {
    return this.#records.map((r) => ({ ...r }));
  }

  /** Drops the finished-run records (e.g. after a warm-up). */
  resetRecords(): void {
    this.#records = [];
  }

  /** The learned ratio of reported to estimated prompt tokens of a model (1 before any usage was seen). */
  tokenRatio(modelName: string): number {
    return this.#accounting.ratio(modelName);
  }

  /** Runs being tracked now. */
  get activeRuns(): number {
    return this.#runs.size;
  }

  /**
   * Stops the metrics poller and removes this instance's scheduler from the gauges; with `shared`, returns the
   * lease to the fleet and closes the Redis connections. Running runs go on.
   */
  close(): Promise<void> {
    this.#poller?.stop();
    this.#untrack?.();
    return this.#shared?.close() ?? Promise.resolve();
  }

  /** Ends runs idle for longer than `runIdleTimeoutMs` (at most one pass a minute). */
  #sweepIdle(): void {
    const t = now();
    if (t - this.#lastSweepMs < 60_000) return;
    this.#lastSweepMs = t;
    for (const run of [...this.#runs.values()]) {
      if (run.callsInFlight === 0 && t - run.lastActivityMs > this.options.runIdleTimeoutMs)
        this.endRun(run, "error");
    }
  }

  #closeToolPhase(run: TrackedRun): void {
    if (run.closeToolPhase(now())) {
      run.handle?.unpark();
    }
  }

  #refreshEstimate(run: TrackedRun): void {
    if (run.handle === undefined) return;
    const prediction = this.predictor.predict({ ...run.context, toolRoundsDone: run.toolRoundsDone });
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
