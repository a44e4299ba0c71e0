/**
 * Options of the scheduler. The zod schemas are the single source of the option types
 * (`SchedulerOptions = z.input<typeof SchedulerOptionsSchema>`); validation happens in `createScheduler`.
 */
import { z } from "zod";
import { parseWith } from "../util/validate.js";
import { SchedulerOptionsError } from "./errors.js";
import { POLICY_NAMES } from "./policy-names.js";
import type { Slo } from "./types.js";

const positive = () => z.number().finite().positive();
const nonNegative = () => z.number().finite().nonnegative();

/**
 * The default SLO of a run, used when `beginRun` gives none: metrics' `Slo` with defaults (`satisfies` makes a
 * change to `Slo` in metrics/slo.ts fail here until the defaults follow).
 */
export const SloSchema = z.strictObject({
  /** Time to first token of the run, ms. > 0. @default 2000 */
  ttftMs: positive().default(2000),
  /** (E2E - tool time) / output tokens, ms per token. > 0. @default 100 */
  normLatencyMsPerToken: positive().default(100),
}) satisfies z.ZodType<Slo>;

/** A budget that never moves (for ablation and A/B runs). */
export const FixedBudgetSchema = z.strictObject({
  mode: z.literal("fixed"),
  /** Tokens in flight on the server. Integer >= 1. @default 32768 */
  tokens: z.number().int().positive().default(32_768),
});

/**
 * The adaptive budget (AIMD with a latency gradient; see docs/scheduler.md, "Budget control law").
 * @example { mode: "adaptive", minTokens: 4096, maxTokens: 131072, targetTokenLatencyMs: 40 }
 */
export const AdaptiveBudgetSchema = z
  .strictObject({
    /** The default controller: `mode` may be left out. @default "adaptive" */
    mode: z.literal("adaptive").default("adaptive"),
    /** Budget at start, tokens. minTokens <= initialTokens <= maxTokens. @default 32768 */
    initialTokens: z.number().int().positive().default(32_768),
    /** Lower clamp, tokens. Integer >= 1. @default 4096 */
    minTokens: z.number().int().positive().default(4_096),
    /** Upper clamp, tokens (about the server's KV capacity). Integer >= 1. @default 262144 */
    maxTokens: z.number().int().positive().default(262_144),
    /** Additive increase per decision while the server is underused, tokens. >= 1. @default 2048 */
    increaseTokens: z.number().int().positive().default(2_048),
    /** Multiplicative decrease under pressure: budget *= factor. 0 < factor < 1. @default 0.7 */
    decreaseFactor: z.number().gt(0).lt(1).default(0.7),
    /** EWMA weight of a new latency sample (0 < s <= 1; smaller = smoother). @default 0.2 */
    smoothing: z.number().gt(0).lte(1).default(0.2),
    /** Least time between two budget decisions, ms. >= 0. @default 500 */
    intervalMs: nonNegative().default(500),
    /** Least time between two cuts (one cut per congestion episode, as TCP per window), ms. @default 2000 */
    cooldownMs: nonNegative().default(2_000),
    /**
     * Target per-token (inter-token) latency measured by the client, ms. > 0. When absent it is derived from the
     * scheduler's default SLO: `tokenLatencySloFraction x slo.normLatencyMsPerToken`.
     */
    targetTokenLatencyMs: positive().optional(),
    /**
     * Share of the SLO's normalised latency (ms/token) that decoding gaps may take; the rest is left to
     * prefill and queueing. (0, 1]. @default 0.5
     */
    tokenLatencySloFraction: z.number().gt(0).lte(1).default(0.5),
    /**
     * Target time from dispatch to first token measured by the client (server-side queueing + prefill), ms. > 0.
     * When absent it is derived from the default SLO: `ttftSloFraction x slo.ttftMs`.
     */
    targetTtftMs: positive().optional(),
    /**
     * Share of the SLO's TTFT that the server side (dispatch -> first token) may take; the rest is left to
     * the client queue, where calls are ranked. (0, 1]. @default 0.5
     */
    ttftSloFraction: z.number().gt(0).lte(1).default(0.5),
    /**
     * A server queue counts as pressure only when `waiting > serverQueueFraction x max(running, 1)`: a
     * step-based server (vLLM) always holds the requests that arrived during its current step, so a few
     * waiting requests are normal; a queue comparable to the batch is not. >= 0. @default 0.25
     */
    serverQueueFraction: nonNegative().default(0.25),
    /**
     * When even a lone request misses the SLO, a derived latency target is this multiple of the lone latency
     * (Gradient2's RTT tolerance; see `effectiveTargets`). >= 1. @default 1.5
     */
    noLoadTolerance: z.number().gte(1).max(100).default(1.5),
    /** Dead band above each latency target where the budget holds (hysteresis), as a fraction. @default 0.2 */
    tolerance: nonNegative().max(10).default(0.2),
    /** KV-cache use at or above which the budget is cut, 0..1. @default 0.95 */
    kvHighWater: z.number().gt(0).lte(1).default(0.95),
    /** KV-cache use below which the budget may rise, 0..1; <= kvHighWater (hysteresis). @default 0.8 */
    kvLowWater: z.number().gte(0).lte(1).default(0.8),
    /** Server signals older than this are not used to raise the budget, ms. @default 10000 */
    serverStaleMs: positive().default(10_000),
    /**
     * How an interval's per-token gaps become one latency: `"median"` (token-weighted) is the decode step's
     * time, which the batch moves; `"mean"` also counts each prefill chunk's step as a stall of every running
     * stream, which no budget relieves below saturation (it cut the budget at light load on small GPUs; kept
     * for ablation, docs/scheduler.md). @default "median"
     */
    tokenGapStatistic: z.enum(["median", "mean"]).default("median"),
    /**
     * With the median and a target derived from the SLO: raise only while the mean gap (prefill stalls
     * included) over a window of `stallWindowMs` stays within the SLO's own ms/token, and cut when it exceeds it
     * by more than `tolerance`. Then the server cannot serve what it was given within the SLO, and it is the
     * budget that admits the prefill stalling every stream (docs/scheduler.md). @default true
     */
    stallGuard: z.boolean().default(true),
    /**
     * Time constant of the stall guard's mean gap, ms: longer than a burst of arrivals at the sustainable rate
     * (tuned on the tuning set: 30 s cost 2.7 points there, 60 s none). > 0. @default 60000
     */
    stallWindowMs: positive().default(60_000),
    /**
     * Whether the server's own latency histograms (TTFT, inter-token latency; `ServerSignals.ttftMs`,
     * `tokenLatencyMs`) replace the client's measurements while fresh (newer than `serverStaleMs`): they hold
     * neither the client's event-loop lag nor the network. `"ignore"` uses the client's only. @default "prefer"
     */
    serverLatency: z.enum(["prefer", "ignore"]).default("prefer"),
    /**
     * Whether the client's own event-loop delay (`observeClientLag`) is taken off the TTFTs the client
     * measured; `false` is the ablation (a busy app process then reads as a loaded server). @default true
     */
    clientLagDiscount: z.boolean().default(true),
    /** Raise only while in-flight tokens are at least this fraction of the budget, or calls queue. @default 0.5 */
    utilisationToRaise: z.number().gte(0).lte(1).default(0.5),
  })
  .refine((b) => b.minTokens <= b.initialTokens && b.initialTokens <= b.maxTokens, {
    message: "expected minTokens <= initialTokens <= maxTokens",
    path: ["initialTokens"],
  })
  .refine((b) => b.kvLowWater <= b.kvHighWater, {
    message: "expected kvLowWater <= kvHighWater",
    path: ["kvLowWater"],
  });

export const BudgetOptionsSchema = z.discriminatedUnion("mode", [FixedBudgetSchema, AdaptiveBudgetSchema]);

/** Online cost model of the server (Stage I/II): per-token prefill and decode times. */
export const CostModelSchema = z.strictObject({
  /** Prior prefill time per uncached prompt token, ms (vLLM, Llama-3.1-8B, one H100: ~12k tok/s). @default 0.08 */
  prefillMsPerToken: positive().default(0.08),
  /** Prior decode time per output token of one sequence in a busy batch, ms (H100, 8B). @default 15 */
  decodeMsPerToken: positive().default(15),
  /** EWMA weight of a new measured rate, 0 < r <= 1. @default 0.1 */
  learningRate: z.number().gt(0).lte(1).default(0.1),
  /**
   * Relative drift of a learned rate that starts a scoring epoch (the queue's viable calls are re-scored
   * incrementally, a few per operation). > 0. @default 0.25
   */
  rescoreDrift: positive().default(0.25),
  /** Least time between two scoring epochs, ms. >= 0. @default 1000 */
  rescoreMinIntervalMs: nonNegative().default(1_000),
});

/** Weights of the Stage II score of the `augserve` policies (all in ms of predicted cost). */
export const AugServeWeightsSchema = z.strictObject({
  /** Weight of waiting time: waiting 1 s offsets `waitWeight` s of predicted cost. >= 0. @default 1 */
  waitWeight: nonNegative().default(1),
  /** Weight of SLO slack (least-laxity: the time at which the run becomes hopeless). >= 0. @default 0.5 */
  slackWeight: nonNegative().default(0.5),
  /** Weight of the run's attained service (ms of server time it has had). >= 0. @default 0.1 */
  attainedWeight: nonNegative().default(0.1),
  /** Bonus per ms of prefill a still-cached prefix saves, for a call right after a tool phase. @default 1 */
  cacheBonusWeight: nonNegative().default(1),
  /** Expected lifetime of a parked run's prefix in the server's cache, ms. >= 0. @default 5000 */
  prefixCacheLifetimeMs: nonNegative().default(5_000),
  /** Extra weight of predicted cost at full server pressure (cost *= 1 + w * pressure). >= 0. @default 1 */
  pressureWeight: nonNegative().default(1),
});

/**
 * Options of {@link createScheduler}.
 * @example createScheduler({ policy: "augserve", maxWaitMs: 20_000, budget: { mode: "fixed", tokens: 16_384 } })
 */
export const SchedulerOptionsSchema = z.strictObject({
  /** Ordering policy: one of {@link POLICY_NAMES} (fcfs, sjf, las, augserve, augserve-oracle). @default "augserve" */
  policy: z.enum(POLICY_NAMES).default("augserve"),
  /** Queued calls beyond which `call`/`submit` reject at once with `QueueFullError`. Integer >= 1. @default 100000 */
  maxQueueLength: z.number().int().positive().default(100_000),
  /**
   * Starvation bound: a call queued longer than this is promoted (served FCFS before every other call), ms.
   * A liveness bound, not a latency target: under overload, calls of hopeless runs wait behind runs that can
   * still meet their SLO, and promotion puts them back in front; a bound shorter than an overload episode
   * turns the scheduler into FCFS with a lag. The default is half the 10-minute default request timeout of
   * the OpenAI SDKs, so a promoted call keeps the other half for its service. @default 300000
   */
  maxWaitMs: nonNegative().default(300_000),
  /**
   * Share of the budget that promoted (starving) calls may hold while other calls wait: the liveness lane
   * always has at least one call in flight when it is not empty, and at most this share of the budget
   * beyond that one, so starving calls progress without displacing runs that can still meet their SLO,
   * however long an overload lasts. With nothing else waiting the lane takes the whole budget. (0, 1].
   * Chosen on the tuning set of docs/benchmarks.md (0.05 of 0.05, 0.1, 0.2). @default 0.05
   */
  promotedShare: z.number().gt(0).lte(1).default(0.05),
  /**
   * Overload control. `queue`: every run is queued (and ranked). `shed`: a new run whose first call could not
   * start within its TTFT target, given the work queued ahead of it, is refused at once with
   * `AugServeOverloadedError` (`call()` rejects, `submit`'s `onReject` gets it); see docs/scheduler.md.
   * @default "queue"
   */
  overload: z.enum(["queue", "shed"]).default("queue"),
  /**
   * Most calls in flight at once, whatever their tokens (p-queue's `concurrency`): a request-count cap besides
   * the token budget, for servers with a hard sequence limit. Integer >= 1. @default unlimited
   */
  maxInFlightCalls: z.number().int().positive().optional(),
  /** Default SLO of runs. */
  slo: SloSchema.prefault({}),
  /** Budget controller. @default { mode: "adaptive" } with the adaptive defaults */
  budget: BudgetOptionsSchema.prefault({ mode: "adaptive" }),
  /** Cost model priors and learning. */
  costModel: CostModelSchema.prefault({}),
  /** Stage II weights (augserve, augserve-oracle). */
  augserve: AugServeWeightsSchema.prefault({}),
});

/** A run's service class and fairness key, as `beginRun` takes them (validated when given). */
export const RunServiceSchema = z.strictObject({
  /** interactive or background. @default "interactive" */
  priorityClass: z.enum(["interactive", "background"]).default("interactive"),
  /** Fairness key; "" is the anonymous key. At most 256 characters. @default "" */
  tenant: z.string().max(256).default(""),
});

export type SchedulerOptions = z.input<typeof SchedulerOptionsSchema>;
export type ResolvedSchedulerOptions = z.output<typeof SchedulerOptionsSchema>;
export type BudgetOptions = z.input<typeof BudgetOptionsSchema>;
export type AdaptiveBudgetOptions = z.output<typeof AdaptiveBudgetSchema>;
export type FixedBudgetOptions = z.output<typeof FixedBudgetSchema>;
export type CostModelOptions = z.output<typeof CostModelSchema>;
export type AugServeWeights = z.output<typeof AugServeWeightsSchema>;

/**
 * Validates with `schema`, or throws {@link SchedulerOptionsError} naming the first bad field and the value
 * given (unknown keys are errors, with a "did you mean" when a known key is one edit away).
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  return parseWith(schema, input, (issues, cause) => {
    const first = issues[0] ?? { path: "", message: "invalid" };
    return new SchedulerOptionsError(first.path, first.message, cause, issues);
  });
}

/** Validates scheduler options (applying defaults). */
export function parseSchedulerOptions(input: SchedulerOptions | undefined): ResolvedSchedulerOptions {
  return parseOptions(SchedulerOptionsSchema, input ?? {});
}
