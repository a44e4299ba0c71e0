/**
 * Admission capacity: the token budget (DESIGN.md section 4, "Dynamic budget").
 *
 * A {@link BudgetController} is a small strategy behind one interface, as Netflix concurrency-limits' `Limit`:
 * the scheduler feeds it samples, it answers with the budget. {@link FixedBudget} never moves (ablation);
 * {@link AdaptiveBudget} runs the control law of {@link adaptiveBudgetStep}, a pure function of its state,
 * so tests feed synthetic traces and assert on the budget.
 */

import { foldInterval, foldSample } from "./budget-fold.js";
import type { BudgetDemand } from "./demand.js";
import { GapHistogram } from "./gap-histogram.js";
import {
  type AdaptiveBudgetOptions,
  AdaptiveBudgetSchema,
  type BudgetOptions,
  type FixedBudgetOptions,
  FixedBudgetSchema,
  parseOptions,
  SloSchema,
} from "./options.js";
import type { ServerSignals, Slo } from "./types.js";

/** One measurement, as the scheduler sees it. `at` is the clock time of the measurement. */
export type BudgetSample =
  /** Dispatch -> first token of an admitted call, ms (client-measured). */
  | { kind: "ttft"; at: number; ms: number }
  /**
   * Per-token latency between two token reports of a stream, ms/token (client-measured), over `tokens` tokens
   * (the sample's weight in the interval's mean; 1 when absent).
   */
  | { kind: "tokenLatency"; at: number; msPerToken: number; tokens?: number }
  /** A call failed (error, 429, 5xx); aborts by the caller are not errors. */
  | { kind: "error"; at: number }
  /** Server state from a probe; may be seconds stale. */
  | { kind: "server"; at: number; signals: ServerSignals }
  /**
   * The client's own event-loop delay, ms (mean over its last window, e.g. `perf_hooks.monitorEventLoopDelay`):
   * a busy app process delays every timestamp it takes, and this much of a TTFT it measured is its own lag,
   * not the server's. The latest one is discounted from later TTFT samples.
   */
  | { kind: "clientLag"; at: number; ms: number }
  /** No measurement: lets the controller decide on the time that passed (called at scheduler operations). */
  | { kind: "tick"; at: number };

/** What the controller may know of the scheduler's demand when deciding. */
export interface BudgetContext {
  inFlightTokens: number;
  queuedCalls: number;
  /**
   * Calls in flight when the sample was taken (the sample's own call included). A latency measured with one
   * call in flight is a lone request's: the controller's no-load latency. Unknown when absent.
   */
  inFlightCalls?: number;
}

export interface BudgetChange {
  from: number;
  to: number;
  reason: string;
}

/** Sizes the token budget. */
export interface BudgetController {
  /** Current budget, tokens in flight. Integer within [minTokens, maxTokens]. */
  readonly tokens: number;
  readonly minTokens: number;
  readonly maxTokens: number;
  /**
   * Earliest time a `tick` sample could change the budget (`Infinity` when only measurements can).
   * The scheduler sends ticks only from then on, which keeps its hot path free of allocations.
   */
  readonly nextDecisionAt: number;
  /**
   * Takes a sample; returns the change it caused, or `null`. The scheduler reuses the sample and context
   * objects between calls (its hot path allocates none): copy what must outlive the call.
   */
  onSample(sample: BudgetSample, context: BudgetContext): BudgetChange | null;
  /**
   * Optional, for a controller shared with other schedulers (src/fleet/): told the queue's demand after each
   * admission pass. Called synchronously on the scheduler's hot path with one reused object: read it, do not
   * keep it, do nothing slow. A controller whose `tokens` grows later (a lease granted asynchronously) calls
   * the scheduler's `tick()` so that the queue is admitted against it.
   */
  onDemand?(demand: Readonly<BudgetDemand>): void;
  /**
   * Optional, for a controller shared with other schedulers (src/fleet/): the tokens tenant `tenant` may hold
   * in flight here while several tenants wait, instead of the local `fair` = budget / tenants waiting (a
   * fleet-wide fair share, docs/shared.md). Called on the admission path: keep it O(1).
   */
  tenantShare?(tenant: string, fair: number): number;
}

/** A budget that never moves. */
export class FixedBudget implements BudgetController {
  readonly tokens: number;
  readonly minTokens: number;
  readonly maxTokens: number;

  constructor(options: Partial<FixedBudgetOptions> = {}) {
    this.tokens = parseOptions(FixedBudgetSchema, { mode: "fixed", ...options }).tokens;
    this.minTokens = this.tokens;
    this.maxTokens = this.tokens;
  }

  get nextDecisionAt(): number {
    return Number.POSITIVE_INFINITY;
  }

  onSample(): null {
    return null;
  }
}

/** State of the adaptive law; plain data. */
export interface AdaptiveState {
  tokens: number;
  /**
   * EWMA of client-measured TTFT (ms) and per-token latency (ms/token), one EWMA step per decision from the
   * mean of the samples since the previous decision; `null` before the first sample.
   */
  ttftMs: number | null;
  tokenLatencyMs: number | null;
  /**
   * EWMA of the interval's token-weighted mean gap, ms/token: what a stream waits per token, prefill stalls
   * included (the SLO's normalised latency is of that kind); `null` before the first sample.
   */
  meanTokenLatencyMs: number | null;
  /**
   * The lowest interval means of samples taken with one call in flight (TTFT ms, per-token ms/token): the
   * server's no-load latency, as TCP Vegas's base RTT or concurrency-limits' minimum RTT; `null` until a lone
   * call was measured.
   */
  minTtftMs: number | null;
  minTokenLatencyMs: number | null;
  /**
   * Samples since the last decision: sums and weights of TTFT and per-token latency, and the same of the
   * samples taken with one call in flight (`lone*`).
   */
  interval: {
    ttftSum: number;
    ttftCount: number;
    tokenMsSum: number;
    tokens: number;
    /**
     * Per-token gaps weighted by tokens, for their median (`tokenGapStatistic`); not cleared per interval but
     * decayed by `1 - smoothing` at each decision, the EWMA's window.
     */
    gaps: GapHistogram;
    loneTtftSum: number;
    loneTtftCount: number;
    loneTokenMsSum: number;
    loneTokens: number;
  };
  /** The client's latest event-loop delay, ms, discounted from TTFT samples (0 until one is told). */
  clientLagMs: number;
  /** Errors since the last decision. */
  errors: number;
  /** Latest server signals and when they came. */
  server: {
    at: number;
    waiting: number;
    running: number;
    kvCacheUsage: number;
    preemptionsTotal: number | null;
    /**
     * The server's own latencies over its last scrape window (from its histograms: TTFT ms, the median
     * inter-token latency ms/token), when it exports them, and when they came; `null` when it does not.
     */
    ttftMs: number | null;
    tokenLatencyMs: number | null;
    latencyAt: number;
  };
  /** Preemptions counted since the last decision (from the increase of `preemptionsTotal`). */
  preemptions: number;
  lastDecisionAt: number;
  lastCutAt: number;
}

/** Adaptive options with both latency targets resolved (explicit, or derived from the SLO). */
export type ResolvedAdaptiveOptions = AdaptiveBudgetOptions & {
  targetTokenLatencyMs: number;
  targetTtftMs: number;
  /**
   * The SLO a derived target comes from (ms/token, ms), or `null` for a target given explicitly: a derived
   * target is lifted to `noLoadTolerance x` the no-load latency, up to the SLO itself (see `effectiveTargets`).
   */
  sloTokenLatencyMs: number | null;
  sloTtftMs: number | null;
};

/**
 * Resolves the latency targets: an explicit target wins; otherwise a documented share of the SLO the runs are
 * held to (`tokenLatencySloFraction x normLatencyMsPerToken`, `ttftSloFraction x ttftMs`), so that "over target"
 * means "eating into the SLO", not an absolute number picked for one GPU.
 */
export function resolveAdaptiveTargets(options: AdaptiveBudgetOptions, slo: Slo): ResolvedAdaptiveOptions {
  return {
    ...options,
    targetTokenLatencyMs:
      options.targetTokenLatencyMs ?? options.tokenLatencySloFraction * slo.normLatencyMsPerToken,
    targetTtftMs: options.targetTtftMs ?? options.ttftSloFraction * slo.ttftMs,
    sloTokenLatencyMs: options.targetTokenLatencyMs === undefined ? slo.normLatencyMsPerToken : null,
    sloTtftMs: options.targetTtftMs === undefined ? slo.ttftMs : null,
  };
}

/**
 * The latency targets a decision uses. An explicit target is used as given. A target derived from the SLO is
 * `fraction x SLO` until a lone call was measured; then it is the no-load latency L plus that fraction of the
 * headroom the SLO leaves above it, `L + fraction x (SLO - L)`: "over target" means batching is eating more
 * than its share of the headroom. With L near 0 (an H100 decodes at ~7 ms/token against 100) this is the
 * plain fraction; on slow hardware it keeps the target above what a lone request does (Llama-3-8B on an L4
 * decodes at ~71 ms/token, where half of a 100-ms SLO, 50 ms, made the law cut at any load down to
 * `minTokens`). When even a lone request misses the SLO (L >= SLO), no budget can meet it and the target is
 * `noLoadTolerance x L` (concurrency-limits' Gradient2 tolerates 1.5x its minimum RTT): throughput first.
 */
export function effectiveTargets(
  state: Pick<AdaptiveState, "minTokenLatencyMs" | "minTtftMs">,
  o: ResolvedAdaptiveOptions,
): { tokenLatencyMs: number; ttftMs: number } {
  const lift = (target: number, slo: number | null, fraction: number, lone: number | null) => {
    if (slo === null || lone === null) return target;
    if (lone >= slo) return o.noLoadTolerance * lone;
    return Math.max(target, lone + fraction * (slo - lone));
  };
  return {
    tokenLatencyMs: lift(
      o.targetTokenLatencyMs,
      o.sloTokenLatencyMs,
      o.tokenLatencySloFraction,
      state.minTokenLatencyMs,
    ),
    ttftMs: lift(o.targetTtftMs, o.sloTtftMs, o.ttftSloFraction, state.minTtftMs),
  };
}

export function initialAdaptiveState(options: AdaptiveBudgetOptions): AdaptiveState {
  return {
    tokens: options.initialTokens,
    ttftMs: null,
    tokenLatencyMs: null,
    meanTokenLatencyMs: null,
    minTtftMs: null,
    minTokenLatencyMs: null,
    interval: {
      ttftSum: 0,
      ttftCount: 0,
      tokenMsSum: 0,
      tokens: 0,
      gaps: new GapHistogram(),
      loneTtftSum: 0,
      loneTtftCount: 0,
      loneTokenMsSum: 0,
      loneTokens: 0,
    },
    clientLagMs: 0,
    errors: 0,
    server: {
      at: Number.NEGATIVE_INFINITY,
      waiting: 0,
      running: 0,
      kvCacheUsage: 0,
      preemptionsTotal: null,
      ttftMs: null,
      tokenLatencyMs: null,
      latencyAt: Number.NEGATIVE_INFINITY,
    },
    preemptions: 0,
    lastDecisionAt: Number.NEGATIVE_INFINITY,
    lastCutAt: Number.NEGATIVE_INFINITY,
  };
}

/**
 * The control law, a pure function: (state, sample, demand) -> (state, change?).
 *
 * 1. Fold the sample into the state: latency samples into EWMAs (weight `smoothing`), errors and
 *    preemption increases into counters, server signals replace the last ones.
 * 2. At most once per `intervalMs`, decide:
 *    - cut (multiplicative decrease, TCP/AIMD) when there is evidence of pressure, first what the client
 *      measured (errors; per-token latency or TTFT above target by more than `tolerance`), then server
 *      signals that are newer than the last cut (preemptions, KV use >= `kvHighWater`, a server queue).
 *      A latency-only cut is proportional, Gradient2-style: budget *= max(decreaseFactor, target / measured).
 *      At most one cut per `cooldownMs`: the evidence of one congestion episode is not counted twice.
 *    - raise (additive increase) when the server is underused: no error, latencies at or under target,
 *      no fresh server queue, KV use below `kvLowWater`, and the budget is binding (calls queue, or in-flight
 *      tokens >= `utilisationToRaise` x budget; an idle client must not inflate its limit, as in
 *      concurrency-limits' AIMD).
 *    - otherwise hold (the dead bands between target and target x (1 + tolerance), and between kvLowWater
 *      and kvHighWater, are the hysteresis).
 * 3. Clamp to [minTokens, maxTokens].
 */
export function adaptiveBudgetStep(
  state: AdaptiveState,
  sample: BudgetSample,
  context: BudgetContext,
  options: ResolvedAdaptiveOptions,
): { state: AdaptiveState; change: BudgetChange | null } {
  const next = copyState(state);
  const change = stepInPlace(next, sample, context, options);
  return { state: next, change };
}

/** A deep copy of the (plain-data) state. */
function copyState(state: AdaptiveState): AdaptiveState {
  const interval = { ...state.interval, gaps: state.interval.gaps.clone() };
  return { ...state, server: { ...state.server }, interval };
}

/**
 * {@link adaptiveBudgetStep} on a state the caller owns, mutated in place: the controller's hot path (one
 * sample per token report) allocates nothing but a change.
 */
function stepInPlace(
  state: AdaptiveState,
  sample: BudgetSample,
  context: BudgetContext,
  options: ResolvedAdaptiveOptions,
): BudgetChange | null {
  if (sample.kind === "clientLag" && !options.clientLagDiscount) return null;
  foldSample(state, sample, context.inFlightCalls === 1);
  const now = sample.at;
  const since = state.lastDecisionAt;
  if (now - since < options.intervalMs) return null;
  state.lastDecisionAt = now;
  foldInterval(state, options, since, now);

  const from = state.tokens;
  const { target, reason } = decide(state, now, context, options);
  state.errors = 0;
  state.preemptions = 0;
  const to = Math.round(Math.min(options.maxTokens, Math.max(options.minTokens, target)));
  if (to < from) state.lastCutAt = now;
  state.tokens = to;
  return to === from ? null : { from, to, reason };
}

function decide(
  state: AdaptiveState,
  now: number,
  context: BudgetContext,
  o: ResolvedAdaptiveOptions,
): { target: number; reason: string } {
  const tokens = state.tokens;
  // A few requests wait in any step-based server (those that arrived during the current step).
  const serverQueued = state.server.waiting > o.serverQueueFraction * Math.max(1, state.server.running);
  const over = (value: number | null, target: number) => value !== null && value > target * (1 + o.tolerance);
  const canCut = now - state.lastCutAt >= o.cooldownMs;
  // Server evidence counts for a cut only if it arrived after the last cut (stale gauges repeat themselves).
  const serverNew = state.server.at > state.lastCutAt;
  const serverFresh = now - state.server.at <= o.serverStaleMs;

  const md = tokens * o.decreaseFactor;
  const targets = effectiveTargets(state, o);
  const stallGuard = o.stallGuard && o.tokenGapStatistic === "median" && o.sloTokenLatencyMs !== null;
  if (canCut) {
    if (state.errors > 0) return { target: md, reason: "errors" };
    if (over(state.tokenLatencyMs, targets.tokenLatencyMs)) {
      const gradient = targets.tokenLatencyMs / (state.tokenLatencyMs as number);
      return { target: tokens * Math.max(o.decreaseFactor, gradient), reason: "token-latency" };
    }
    // Stalls included, a stream waiting longer per token than the SLO allows means the server cannot serve
    // what it was given within the SLO: it is the limit (the median alone misses a prefill-bound overload).
    if (stallGuard && over(state.meanTokenLatencyMs, o.sloTokenLatencyMs as number)) {
      const gradient = (o.sloTokenLatencyMs as number) / (state.meanTokenLatencyMs as number);
      return { target: tokens * Math.max(o.decreaseFactor, gradient), reason: "token-latency-slo" };
    }
    if (over(state.ttftMs, targets.ttftMs)) {
      const gradient = targets.ttftMs / (state.ttftMs as number);
      return { target: tokens * Math.max(o.decreaseFactor, gradient), reason: "ttft" };
    }
    if (state.preemptions > 0) return { target: md, reason: "preemptions" };
    if (serverNew && state.server.kvCacheUsage >= o.kvHighWater)
      return { target: md, reason: "kv-near-full" };
    if (serverNew && serverQueued) return { target: md, reason: "server-queue" };
  }

  const underTarget = (value: number | null, target: number) => value === null || value <= target;
  const serverCalm = !serverFresh || (!serverQueued && state.server.kvCacheUsage < o.kvLowWater);
  const binding = context.queuedCalls > 0 || context.inFlightTokens >= o.utilisationToRaise * tokens;
  if (
    state.errors === 0 &&
    state.preemptions === 0 &&
    serverCalm &&
    binding &&
    underTarget(state.tokenLatencyMs, targets.tokenLatencyMs) &&
    (!stallGuard || underTarget(state.meanTokenLatencyMs, o.sloTokenLatencyMs as number)) &&
    underTarget(state.ttftMs, targets.ttftMs)
  ) {
    return { target: tokens + o.increaseTokens, reason: "underused" };
  }
  return { target: tokens, reason: "hold" };
}

/** The adaptive budget: {@link adaptiveBudgetStep} behind the {@link BudgetController} interface. */
export class AdaptiveBudget implements BudgetController {
  readonly #options: ResolvedAdaptiveOptions;
  #state: AdaptiveState;

  /** `slo`: the SLO the latency targets derive from when not given explicitly (default: the default SLO). */
  constructor(options: Partial<Omit<AdaptiveBudgetOptions, "mode">> = {}, slo?: Slo) {
    this.#options = resolveAdaptiveTargets(
      parseOptions(AdaptiveBudgetSchema, { ...options, mode: "adaptive" }),
      slo ?? SloSchema.parse({}),
    );
    this.#state = initialAdaptiveState(this.#options);
  }

  get tokens(): number {
    return this.#state.tokens;
  }
  get minTokens(): number {
    return this.#options.minTokens;
  }
  get maxTokens(): number {
    return this.#options.maxTokens;
  }
  get nextDecisionAt(): number {
    return this.#state.lastDecisionAt + this.#options.intervalMs;
  }

  /** A copy of the controller's state, for observability and tests. */
  get state(): AdaptiveState {
    return copyState(this.#state);
  }

  /** The latency targets in force, ms (explicit, or derived from the SLO and lifted by the no-load latency). */
  get targets(): { tokenLatencyMs: number; ttftMs: number } {
    return effectiveTargets(this.#state, this.#options);
  }

  onSample(sample: BudgetSample, context: BudgetContext): BudgetChange | null {
    return stepInPlace(this.#state, sample, context, this.#options);
  }
}

/** Builds the controller the options ask for. */
export function createBudgetController(options: BudgetOptions, slo?: Slo): BudgetController {
  return options.mode === "fixed" ? new FixedBudget(options) : new AdaptiveBudget(options, slo);
}
