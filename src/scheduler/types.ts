/**
 * Public types of the AugServe scheduler (DESIGN.md section 4).
 *
 * This module is pure data: no I/O, no timers, no imports from other parts of the package but the SLO's
 * definition, which is the metrics' (`metrics/slo.ts`, a leaf that imports nothing). Every other part of
 * AugServe.js (the LangChain middleware, the virtual-time benchmark) talks to the scheduler through these
 * types only.
 */
import type { Slo } from "../metrics/slo.js";
import type { LivePolicyName, PolicyName } from "./policy-names.js";

/** Per-run latency targets (DESIGN.md section 5), defined with the one "met the SLO" predicate in metrics/. */
export type { LivePolicyName, PolicyName, Slo };

/** A source of time in milliseconds. Injected so that tests and the virtual-time benchmark drive the scheduler. */
export interface Clock {
  /** Current time in milliseconds (any origin, monotonic). */
  now(): number;
}

/**
 * Stage I inputs of a run: what a predictor expects of the rest of the run.
 * All counts are non-negative finite numbers; the scheduler clamps anything else.
 */
export interface RunEstimate {
  /** Tool rounds still to come (0 = the next call should be the final answer). */
  remainingToolRounds: number;
  /** Output tokens of each intermediate call (the ones that end in tool calls). */
  outputTokensPerCall: number;
  /** Output tokens of the final answer. */
  finalOutputTokens: number;
  /** Expected latency of one tool phase, in ms (used to judge whether a parked run's prefix stays cached). */
  toolLatencyMs?: number;
}

/** What the scheduler knows of a run when it begins. */
export interface RunFeatures extends RunEstimate {
  /** Prompt tokens of the run's first call. */
  promptTokens: number;
  /**
   * True values, known only in evaluation (the workload's hidden script). Read by the `augserve-oracle`
   * policy alone; every other policy ignores them.
   */
  truth?: RunEstimate;
}

/**
 * Service class of a run. Under contention `background` work yields to `interactive` work (it is admitted
 * only while no interactive call waits that fits, and is shed first under overload).
 */
export type PriorityClass = "interactive" | "background";

export interface BeginRunOptions {
  /** Stable id; generated when absent. */
  runId?: string;
  features: RunFeatures;
  /** Overrides the scheduler's default SLO for this run. */
  slo?: Slo;
  /** Service class of the run. @default "interactive" */
  priorityClass?: PriorityClass;
  /**
   * Fairness key (a user, a tenant, an API key's owner). While several keys have calls waiting, no key
   * holds more than its fair share of the budget (token-weighted fair sharing; see docs/scheduler.md).
   * Runs without a key share one anonymous key. At most 256 characters.
   */
  tenant?: string;
}

/** Token accounting of one call, known before it is sent. */
export interface CallSpec {
  /** Prompt tokens of this call (whole context). */
  promptTokens: number;
  /** Prompt tokens the server probably serves from its prefix cache (not charged to the budget). */
  cachedPromptTokens?: number;
  /** Expected output tokens; defaults to the run's current estimate. */
  expectedOutputTokens?: number;
}

/** What the caller reports about a finished call. */
export interface CallResult {
  /** Output tokens actually produced. */
  outputTokens: number;
  /** Prompt tokens the server reported (corrects the estimate). */
  promptTokens?: number;
  /** Prompt tokens the server reported as served from its prefix cache. */
  cachedPromptTokens?: number;
}

/** Handed to the function that performs an admitted call. */
export interface CallContext {
  readonly runId: string;
  readonly callId: number;
  /**
   * Priority to pass to a server with a priority policy (vLLM's `priority` field: lower is served first).
   * An integer >= 0.
   */
  readonly priority: number;
  /** Tokens of the budget this call holds while it runs (uncached prompt + expected output). */
  readonly charge?: number;
  /** Aborted when the caller's signal aborts; pass it to the HTTP request. */
  readonly signal: AbortSignal;
  /** Call when the first output token arrives. Idempotent. */
  onFirstToken(): void;
  /** Call as output tokens arrive (delta counts). */
  onTokens(count: number): void;
  /** Call once with the server's final token counts, if known. */
  setResult(result: CallResult): void;
}

export interface CallOptions {
  /** Aborts the call, queued or running; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Information about a tool phase, for the predictor and for prefix-cache expectations. */
export interface ToolPhaseInfo {
  /** Tool names of this round. */
  tools?: string[];
  /** Expected duration of the tool phase in ms. */
  expectedLatencyMs?: number;
}

export type RunOutcome = "ok" | "error" | "aborted";

/** Live state of the server, from whatever probe the backend has (Prometheus metrics or the simulator). */
export interface ServerSignals {
  /** KV-cache use, 0..1. */
  kvCacheUsage?: number;
  /** Requests the server is running. */
  running?: number;
  /** Requests waiting in the server's own queue. */
  waiting?: number;
  /** Cumulative preemptions (a counter; the scheduler looks at its increase). */
  preemptionsTotal?: number;
  /**
   * The server's own mean time to first token over its last scrape window, ms (from its TTFT histogram, e.g.
   * vLLM's `vllm:time_to_first_token_seconds`); absent when it exports none or served no request since.
   */
  ttftMs?: number;
  /**
   * The server's own median inter-token latency over its last scrape window, ms/token (vLLM's
   * `vllm:inter_token_latency_seconds` histogram, SGLang's equivalent, llama.cpp's decode-time counters).
   */
  tokenLatencyMs?: number;
  /** The server's own mean queue time over its last scrape window, ms (vLLM's `vllm:request_queue_time_seconds`). */
  queueMs?: number;
}

/** A view of the scheduler for observability. Plain data; a copy. */
export interface SchedulerSnapshot {
  policy: PolicyName;
  now: number;
  queued: number;
  inFlightCalls: number;
  inFlightTokens: number;
  budgetTokens: number;
  activeRuns: number;
  parkedRuns: number;
  counters: {
    admitted: number;
    completed: number;
    failed: number;
    aborted: number;
    rejected: number;
    promoted: number;
    /** Runs refused by overload shedding (`overload: "shed"`). */
    refused?: number;
  };
  /** Queued calls in the liveness lane (promoted by the starvation bound). */
  promotedQueued?: number;
  /** Tokens in flight of calls admitted from the liveness lane. */
  promotedInFlightTokens?: number;
  /** Tenants (fairness keys) with ranked calls waiting. */
  tenantsWaiting?: number;
  /** Queued calls (not in the lane) whose runs can still meet their SLO; the rest of the ranked are hopeless. */
  viableQueued?: number;
  /** The learned cost model (per-token prefill and decode times, ms). */
  costModel?: { prefillMsPerToken: number; decodeMsPerToken: number };
  /** Server pressure level used by Stage II: 0, 0.5 or 1. */
  pressure?: number;
}

/** Events the scheduler emits; the metrics layer subscribes to them. */
export interface SchedulerEvents {
  admitted: {
    runId: string;
    callId: number;
    waitedMs: number;
    tokens: number;
    priority: number;
    promoted: boolean;
  };
  completed: {
    runId: string;
    callId: number;
    outcome: "ok" | "error" | "aborted";
    durationMs: number;
    ttftMs: number | null;
    outputTokens: number;
  };
  /**
   * A call turned away before admission: the queue was full, it was cancelled or its signal aborted while
   * queued, its run ended (queued calls of an ended run are cancelled; a submit after `end` is rejected), or
   * overload shedding refused its run (`overloaded`: the run's first call, and any later call of that run).
   */
  rejected: {
    runId: string;
    reason: "queue-full" | "aborted-while-queued" | "run-ended" | "overloaded";
    queueLimit?: number;
    /** `overloaded`: the predicted wait, the limit it exceeded and the retry hint, ms. */
    predictedWaitMs?: number;
    limitMs?: number;
    retryAfterMs?: number;
  };
  budgetChanged: { from: number; to: number; reason: string };
  /** A run ended: by `end(outcome)`, or `refused` by overload shedding (the scheduler ends it). */
  runEnded: { runId: string; outcome: RunOutcome | "refused" };
}

export type SchedulerEventName = keyof SchedulerEvents;

/**
 * An admitted call, in the low-level (callback) API. Exactly one of `complete` / `fail` releases its budget;
 * later calls of either are ignored.
 */
export interface CallTicket extends CallContext {
  /** Release the call's budget; the call succeeded. */
  complete(result?: CallResult): void;
  /** Release the call's budget; the call failed or was aborted. */
  fail(reason: "error" | "aborted"): void;
}

/** Callbacks of the low-level API: used by the virtual-time benchmark, which cannot await promises. */
export interface SubmitHandlers {
  /** Called synchronously, inside the scheduler operation that admitted the call. */
  onAdmit(ticket: CallTicket): void;
  /**
   * Called if the call is rejected: queue full or run refused by overload shedding (both synchronously, inside
   * `submit`), or cancelled while queued.
   */
  onReject?(error: Error): void;
}

/** A queued call in the low-level API. */
export interface QueuedCall {
  readonly callId: number;
  /** Remove the call from the queue if still queued (its `onReject` gets an abort error). No-op once admitted. */
  cancel(): void;
}

/** A run in the scheduler: one agent invocation for one user request. */
export interface RunHandle {
  readonly id: string;
  /**
   * Queue a call, wait for admission, run `fn`, and release the budget exactly once when `fn` settles,
   * throws, or the signal aborts. Rejects at once with `QueueFullError` when the queue is full, and with
   * `AugServeOverloadedError` when overload shedding refuses the run.
   */
  call<T>(spec: CallSpec, fn: (ctx: CallContext) => Promise<T>, options?: CallOptions): Promise<T>;
  /** Low-level form of {@link RunHandle.call} for event-driven callers. */
  submit(spec: CallSpec, handlers: SubmitHandlers): QueuedCall;
  /** Refresh the run's estimate (the predictor re-predicts after each call). */
  updateEstimate(estimate: Partial<RunEstimate>): void;
  /** The run enters a tool phase: it holds no slot and its next call is likely to hit the prefix cache. */
  park(info?: ToolPhaseInfo): void;
  /** The tool phase ended. */
  unpark(): void;
  /** The run finished. Queued calls of the run are cancelled. Idempotent. */
  end(outcome: RunOutcome): void;
}

/** The scheduler's public surface. */
export interface SchedulerApi {
  beginRun(options: BeginRunOptions): RunHandle;
  observe(signals: ServerSignals): void;
  /**
   * Tells the scheduler its own process's event-loop delay, ms (mean over a recent window; the backend's
   * `EventLoopLagMonitor` measures it): the budget discounts it from the latencies the client measured, so a
   * busy app process is not read as a loaded server. Optional for custom implementations.
   */
  observeClientLag?(ms: number): void;
  snapshot(): SchedulerSnapshot;
  on<E extends SchedulerEventName>(event: E, listener: (payload: SchedulerEvents[E]) => void): () => void;
}
