/**
 * The live driver: one policy over a generated workload with real LangChain agents over real HTTP.
 *
 * Each run becomes a `createAgent` agent with a streaming `ChatOpenAI` and real tools whose bodies wait for
 * the scripted latency (`tools.ts`). Runs start at their generated arrival times (divided by the time scale);
 * `plain` is the agent as it is today, `fcfs-window` adds a client-side window, the scheduler's policies add
 * `augserve({ scheduler })` with a fresh scheduler. Everything is measured on the wall clock and reported in
 * unscaled ms, with the same metrics as virtual mode (src/metrics).
 */
import { setMaxListeners } from "node:events";
import type { BaseMessage } from "@langchain/core/messages";
import { ChatOpenAI } from "@langchain/openai";
import { type AgentMiddleware, createAgent } from "langchain";
import { createAugServe } from "../../langchain/augserve.js";
import { localTokenCounts } from "../../langchain/token-counts.js";
import { type RunRecord, type RunSummary, summarize } from "../../metrics/index.js";
import { createPredictor } from "../../predict/predictor.js";
import type { Predictor } from "../../predict/types.js";
import { createScheduler } from "../../scheduler/create-scheduler.js";
import { AugServeOverloadedError } from "../../scheduler/errors.js";
import type { SchedulerOptions } from "../../scheduler/options.js";
import type { SchedulerApi } from "../../scheduler/types.js";
import type { GeneratedWorkload } from "../../workload/types.js";
import type { TimelinePoint } from "../virtual/driver.js";
import { openBackend } from "./backend.js";
import { sloDeadlineMs } from "./horizon.js";
import { LoadMonitor, type LoadReport } from "./lag.js";
import {
  type LivePolicy,
  type LiveScalarOptions,
  parseLiveOptions,
  type ResolvedLiveScalarOptions,
} from "./options.js";
import { RecorderCallbacks, RunRecorder, recorderMiddleware } from "./recorder.js";
import type { LiveBackend, LiveServerSummary } from "./remote-backend.js";
import { ScaledPredictor, scaledClock } from "./scaled.js";
import { buildRunTools } from "./tools.js";
import { CallWindow, windowMiddleware } from "./window.js";

export interface LiveRunOptions extends LiveScalarOptions {
  workload: GeneratedWorkload;
  /**
   * The Stage I predictor behind the scheduler's policies, one per point so that policies do not share what
   * they learned. @default () => createPredictor()
   */
  predictor?: () => Predictor;
  /** Called after each run ends (progress reporting). */
  onRunEnded?: (ended: number, total: number) => void;
  /** Extra options of the scheduler's policies (ablations, `--scheduler-options`); policy and SLO are the point's. */
  schedulerOptions?: SchedulerOptions;
}

/** The result of one policy on one workload in live mode. */
export interface LiveResult {
  policy: LivePolicy;
  records: RunRecord[];
  summary: RunSummary;
  /** The server side; `null` fields where the backend cannot tell. */
  server: LiveServerSummary;
  /** The scheduler's queue, in-flight tokens and budget over time (scheduler policies; empty otherwise). */
  timeline: TimelinePoint[];
  load: LoadReport;
  /** Wall time of the point, ms. */
  wallMs: number;
}

/**
 * One throwaway agent call before the window (an unknown conversation: the simulator gives it a short plain
 * answer), so that loading and compiling LangChain's and the HTTP client's code does not delay the first runs.
 */
async function warmUp(baseURL: string, model: string): Promise<void> {
  const agent = createAgent({
    model: localTokenCounts(
      new ChatOpenAI({ model, apiKey: "sk-none", maxRetries: 0, maxTokens: 4, configuration: { baseURL } }),
    ),
    tools: [],
  });
  try {
    await agent.invoke({ messages: [{ role: "user", content: "warm-up" }] });
  } catch {
    // A server that rejects the warm-up will fail the runs too, with the error in each record.
  }
}

/** A little lead-in before the first arrival, so that setting up the agents does not delay it. */
const LEAD_IN_MS = 100;

/**
 * Runs one policy live and returns per-run records and the summary. Every run ends (final answer or error);
 * runs still open after `maxWallMs` are aborted and reported unfinished.
 *
 * @example
 * const result = await runLive({ workload: loadWorkload("workloads/infercept-mix.json", { ratePerS: 4 }), policy: "augserve" });
 */
export async function runLive(options: LiveRunOptions): Promise<LiveResult> {
  const { workload, predictor, onRunEnded, schedulerOptions, ...scalars } = options;
  const o = parseLiveOptions(scalars);
  const T = o.timeScale;
  const backend = await openBackend(workload, o);
  const abort = new AbortController();
  // Every run's invocation listens to this one signal.
  setMaxListeners(0, abort.signal);
  const policy = policyLayer(o, workload, backend, predictor, schedulerOptions);

  await warmUp(backend.baseURL, backend.model);
  const recorders = workload.runs.map((run) => new RunRecorder(run));
  const load = new LoadMonitor(T, o.maxLagMs);
  const origin = performance.now() + LEAD_IN_MS;
  backend.setOrigin(origin);
  const timeline: TimelinePoint[] = [];
  const sampler =
    policy.scheduler && sampleTimeline(policy.scheduler, origin, T, o.timelineIntervalMs, timeline);

  let ended = 0;
  const runOne = async (recorder: RunRecorder): Promise<void> => {
    const ran = await runAgent(recorder, {
      origin,
      T,
      backend,
      middleware: policy.middleware,
      signal: abort.signal,
    });
    // A run the point was stopped before never started: it neither ended nor counts as ended.
    if (!ran) return;
    ended++;
    onRunEnded?.(ended, recorders.length);
  };

  const safety = setTimeout(() => abort.abort(), o.maxWallMs);
  const decided = o.stopWhenSloDecided ? stopWhenDecided(workload, recorders, origin, T, abort) : undefined;
  try {
    await Promise.all(recorders.map(runOne));
  } finally {
    clearTimeout(safety);
    if (decided !== undefined) clearInterval(decided);
    if (sampler !== undefined) clearInterval(sampler);
    policy.close();
  }
  const loadReport = load.stop();
  await backend.settle?.();
  const wallMs = performance.now() - origin;
  const records = recorders.map((r) => {
    const record = r.toRecord(origin, T, (id) => backend.startOf(id));
    // An aborted run never ended: unfinished, not failed. A refused run ended when it was refused.
    if (abort.signal.aborted && record.error !== undefined && !r.refused && r.calls.at(-1)?.end === null)
      record.endMs = null;
    return record;
  });
  const makespanMs = Math.max(workload.durationMs, ...records.map((r) => r.endMs ?? 0));
  const server = await backend.serverSummary(makespanMs / T);
  await backend.close();
  const summary = summarize(records, {
    windowMs: workload.durationMs,
    slo: workload.slo,
    server: {
      busyFraction: server.busyFraction ?? 0,
      meanBatchSize: server.meanBatchSize ?? 0,
      kvUsageMean: server.kvUsageMean ?? 0,
      preemptions: server.preemptions ?? 0,
    },
  });
  return { policy: o.policy, records, summary, server, timeline, load: loadReport, wallMs };
}

/** What the policy puts in front of every agent: its middleware, and the scheduler behind it if any. */
interface PolicyLayer {
  middleware: AgentMiddleware[];
  scheduler: SchedulerApi | undefined;
  close(): void;
}

/**
 * `plain`: nothing; `fcfs-window`: a client-side window; the scheduler's policies: `augserve({ scheduler })`
 * with a fresh scheduler on the scaled clock. With the gateway backend the gateway schedules: the agents stay
 * plain.
 */
function policyLayer(
  o: ResolvedLiveScalarOptions,
  workload: GeneratedWorkload,
  backend: LiveBackend,
  predictor: LiveRunOptions["predictor"],
  schedulerOptions: SchedulerOptions | undefined,
): PolicyLayer {
  const T = o.timeScale;
  if (o.policy === "fcfs-window")
    return { middleware: [windowMiddleware(new CallWindow(o.window))], scheduler: undefined, close() {} };
  if (o.policy === "plain" || o.backend === "gateway")
    return { middleware: [], scheduler: undefined, close() {} };
  const scheduler = createScheduler(
    { ...schedulerOptions, policy: o.policy, slo: workload.slo },
    { clock: scaledClock(T) },
  );
  const aug = createAugServe({
    scheduler,
    predictor: new ScaledPredictor((predictor ?? (() => createPredictor()))(), T),
    slo: workload.slo,
    registry: null,
    // The scheduler sees the server's gauges about once per unscaled second, as in virtual mode.
    ...(backend.metricsUrl === undefined
      ? {}
      : { serverMetricsUrl: backend.metricsUrl, metricsPollIntervalMs: Math.max(50, 1000 / T) }),
    logger: { warn: () => {} },
  });
  return { middleware: [aug.middleware()], scheduler, close: () => aug.close() };
}

/** Pushes the scheduler's queue and budget onto `timeline` every `intervalMs` wall ms from `origin`. */
function sampleTimeline(
  scheduler: SchedulerApi,
  origin: number,
  T: number,
  intervalMs: number,
  timeline: TimelinePoint[],
): ReturnType<typeof setInterval> {
  return setInterval(() => {
    const t = (performance.now() - origin) * T;
    if (t < 0) return;
    const s = scheduler.snapshot();
    timeline.push({
      tMs: t,
      queued: s.queued,
      inFlightTokens: s.inFlightTokens,
      budgetTokens: s.budgetTokens,
    });
  }, intervalMs);
}

/**
 * Aborts the point once every run still open is past its SLO deadline (or has missed its TTFT): nothing is left
 * to decide (see horizon.ts).
 */
function stopWhenDecided(
  workload: GeneratedWorkload,
  recorders: readonly RunRecorder[],
  origin: number,
  T: number,
  abort: AbortController,
): ReturnType<typeof setInterval> {
  const lastArrivalMs = workload.runs.reduce((latest, r) => Math.max(latest, r.arrivalMs), 0);
  const deadlines = recorders.map((r) => sloDeadlineMs(r.run, workload.slo));
  return setInterval(() => {
    const t = (performance.now() - origin) * T;
    if (t <= lastArrivalMs) return;
    for (const [i, recorder] of recorders.entries())
      if (recorder.end === null && t <= (deadlines[i] as number) && !missedTtft(recorder, T, workload.slo))
        return;
    abort.abort();
  }, 100);
}

/**
 * One run as a LangChain agent, from its arrival to its final answer or error; the recorder keeps the times.
 * Returns false if the point was stopped before the run arrived (it never started).
 */
async function runAgent(
  recorder: RunRecorder,
  at: { origin: number; T: number; backend: LiveBackend; middleware: AgentMiddleware[]; signal: AbortSignal },
): Promise<boolean> {
  const { T, backend, signal } = at;
  const run = recorder.run;
  recorder.arrival = at.origin + run.arrivalMs / T;
  const wait = recorder.arrival - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  if (signal.aborted) return false;
  try {
    // localTokenCounts: offline, LangChain's tiktoken download would stall calls (docs/langchain.md).
    const model = localTokenCounts(
      new ChatOpenAI({
        model: backend.model,
        apiKey: process.env.OPENAI_API_KEY ?? "sk-none",
        maxRetries: 2,
        configuration: { baseURL: backend.baseURL },
      }),
    );
    const agent = createAgent({
      model,
      tools: buildRunTools(run, T),
      systemPrompt: run.systemPrompt,
      // The recorder comes first: it wraps the scheduler's admission wait.
      middleware: [recorderMiddleware(recorder), ...at.middleware],
    });
    const result = (await agent.invoke(
      { messages: [{ role: "user", content: run.userPrompt }] },
      {
        configurable: { thread_id: run.id },
        recursionLimit: 1000,
        signal,
        callbacks: [new RecorderCallbacks(recorder)],
      },
    )) as { messages: BaseMessage[] };
    if (result.messages.length === 0) recorder.error = "the agent returned no message";
  } catch (error) {
    recorder.error = error instanceof Error ? error.message : String(error);
    recorder.refused = isRefusal(error);
  }
  recorder.end = performance.now();
  return true;
}

/** Overload shedding's refusal, however LangChain passed it on (as is, or as the `cause` of its own error). */
function isRefusal(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    if (e instanceof AugServeOverloadedError || e.name === "AugServeOverloadedError") return true;
  return false;
}

/**
 * A run whose first token has not come within the SLO's TTFT target (or came late) is a miss whatever happens
 * next: the stop rule need not wait for it. Unscaled ms, as the records.
 */
function missedTtft(recorder: RunRecorder, T: number, slo: { ttftMs: number }): boolean {
  const first = recorder.calls[0]?.firstToken ?? null;
  const due = recorder.arrival + slo.ttftMs / T;
  return (first ?? performance.now()) > due;
}
