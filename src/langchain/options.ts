/**
 * Options of the LangChain integration. The zod schema is the one source of the options type.
 */
import type { Registry } from "prom-client";
import { z } from "zod";
import type { Logger } from "../backend/poller.js";
import type { SharedOptions } from "../fleet/options.js";
import { SloSchema } from "../metrics/index.js";
import type { Predictor } from "../predict/types.js";
import type { SchedulerApi } from "../scheduler/types.js";
import { issueLines, MAX_TIMER_MS, parseOptionsWith, parseWith } from "../util/index.js";
import { AugServeOptionsError } from "./errors.js";

const isObjectWith =
  (...methods: string[]) =>
  (value: unknown) =>
    typeof value === "object" &&
    value !== null &&
    methods.every((m) => typeof (value as Record<string, unknown>)[m] === "function");

/**
 * Production A/B split (DESIGN.md section 5 metrics, section 8 noise floor).
 * `mode: "ab"` sends `fraction` of runs through the scheduler and the rest straight to the model;
 * `"aa-plain"` and `"aa-scheduled"` give both arms the same treatment to measure the noise floor.
 */
export const AbTestSchema = z.strictObject({
  /** Share of runs in the scheduled arm, 0..1. @default 0.5 */
  fraction: z.number().min(0).max(1).default(0.5),
  /** Seed of the assignment hash: change it to reshuffle users between arms. @default 0 */
  seed: z.number().int().default(0),
  /** What a run is assigned by: its thread id (sticky per conversation; the run id when absent) or its run id. @default "thread" */
  key: z.enum(["thread", "run"]).default("thread"),
  /** `"ab"`, or an A/A mode measuring the noise floor. @default "ab" */
  mode: z.enum(["ab", "aa-plain", "aa-scheduled"]).default("ab"),
  /**
   * Relative differences (|B-A|/A) per metric at or below which a difference is noise, as measured by an
   * earlier A/A run (`report().noiseFloor`). A single number applies to every metric.
   */
  noiseFloor: z.union([z.number().min(0), z.record(z.string(), z.number().min(0))]).optional(),
});

/** Options of {@link createAugServe} / `augserve()`. Every field is optional. */
export const AugServeOptionsSchema = z.strictObject({
  /** The scheduler; default: the process-wide one (`defaultScheduler()`), shared by every agent. */
  scheduler: z
    .custom<SchedulerApi>(isObjectWith("beginRun", "observe", "snapshot", "on"), {
      message: "expected a SchedulerApi (beginRun, observe, snapshot, on)",
    })
    .optional(),
  /**
   * Share the replica's budget with other processes through Redis: the instance creates its own scheduler
   * (`createScheduler({ slo, shared })`, docs/shared.md) and closes it in `close()`. Excludes `scheduler`.
   * Validated by `parseSharedOptions` (FleetOptionsError naming the field).
   * @example augserve({ shared: { redis: "redis://127.0.0.1:6379", key: "augserve:prod" } })
   */
  shared: z
    .custom<SharedOptions>((v) => v !== null && typeof v === "object", { message: "expected shared options" })
    .optional(),
  /** Stage I predictor; default: the process-wide one. */
  predictor: z
    .custom<Predictor>(isObjectWith("predict", "learnRun", "learnToolLatency"), {
      message: "expected a Predictor (predict, learnRun, learnToolLatency)",
    })
    .optional(),
  /**
   * Per-run SLO of the SLO metrics and `report()`; when given, also each run's SLO in the scheduler (when
   * not, the scheduler's own SLO applies: give both the same if you configure the scheduler's).
   * @default { ttftMs: 2000, normLatencyMsPerToken: 100 } (the scheduler's default too)
   */
  slo: SloSchema.default({ ttftMs: 2000, normLatencyMsPerToken: 100 }),
  /**
   * Pass the scheduler's priority to the server as vLLM's `priority` request field. Only for a vLLM
   * started with `--scheduling-policy priority` (others reject or ignore the field). @default false
   */
  serverPriority: z.boolean().default(false),
  /** The server's Prometheus endpoint (e.g. `http://127.0.0.1:8000/metrics`); enables the poller feeding `observe()`. */
  serverMetricsUrl: z
    .url({ protocol: /^https?$/, hostname: z.regexes.hostname, error: "expected an http:// or https:// URL" })
    .optional(),
  /** Poll interval of `serverMetricsUrl`, ms. 50 <= ms <= 2^31 - 1 (what a timer holds). @default 1000 */
  metricsPollIntervalMs: z.number().min(50).max(MAX_TIMER_MS).default(1000),
  /**
   * Time-out of one model call, queue wait and every retry attempt included, ms. The call's budget is
   * released and `AugServeTimeoutError` thrown when it passes. `0` disables it. Longer than the scheduler's
   * starvation bound (`maxWaitMs`, 300 s) plus a call's service, so a starving call is promoted before it times
   * out. 0 <= ms <= 2^31 - 1 (what a timer holds). @default 600000
   */
  callTimeoutMs: z.number().min(0).max(MAX_TIMER_MS).default(600_000),
  /**
   * A run with no model or tool call under way and no activity for this long is ended as `"abandoned"`
   * (its invocation stopped where the middleware cannot see: an interrupt never resumed, a limit or
   * recursion error raised between model calls), ms. Swept by an unref'd timer every quarter of this
   * (10 ms to 30 s) while runs are tracked. 0 < ms <= 2^31 - 1. @default 600000
   */
  runIdleTimeoutMs: z.number().positive().max(MAX_TIMER_MS).default(600_000),
  /** prom-client registry for the metrics; `null` disables metrics. @default the global registry */
  registry: z.custom<Registry>(isObjectWith("registerMetric", "metrics")).nullable().optional(),
  /** Prefix of the metric names. @default "augserve_" */
  metricsPrefix: z
    .string()
    .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/)
    .default("augserve_"),
  /** Characters per token of the prompt estimate before the server's usage has calibrated it. @default 4 */
  charsPerToken: z.number().positive().default(4),
  /** Weight of each new observation in the per-model token-ratio EWMA, 0..1. @default 0.2 */
  tokenRatioAlpha: z.number().gt(0).max(1).default(0.2),
  /**
   * Tool errors, and whether the middleware has a `wrapToolCall` hook at all.
   * - `"passthrough"` (default): no tool hook, so tool errors behave exactly as without `augserve()`
   *   (LangChain turns a tool exception into an error ToolMessage unless another `wrapToolCall` middleware is
   *   in the agent); tool latencies are learned from the tool phase (exact for one tool per round).
   * - `"message"` (opt-in): a tool hook times each tool and turns its exception into the error ToolMessage
   *   an agent without middleware makes (list tool retry/error middleware after `augserve()`, or they never
   *   see the exception).
   * - `"throw"` (opt-in): a tool hook times each tool and lets its exception propagate; LangChain then makes
   *   an unhandled tool exception fatal, as with any `wrapToolCall` middleware.
   * @default "passthrough"
   */
  toolErrors: z.enum(["passthrough", "message", "throw"]).default("passthrough"),
  /** Production A/B split; absent: every run is scheduled. */
  abTest: AbTestSchema.optional(),
  /** Where warnings go. @default console */
  logger: z.custom<Logger>(isObjectWith("warn")).optional(),
});

/** What users pass. */
export type AugServeOptions = z.input<typeof AugServeOptionsSchema>;
/** After defaults. */
export type ResolvedAugServeOptions = z.output<typeof AugServeOptionsSchema>;
/** What users pass as `abTest`. */
export type AbTestOptions = z.input<typeof AbTestSchema>;

/**
 * Validates options, throwing {@link AugServeOptionsError} (with the `ZodError` as `cause`) on bad input.
 * Unknown keys are errors (with a "did you mean" when a known key is one edit away), never dropped.
 */
export function parseAugServeOptions(options: AugServeOptions | undefined): ResolvedAugServeOptions {
  return parseOptionsWith(AugServeOptionsSchema, options, AugServeOptionsError);
}

/**
 * Per-invocation settings of the middleware, read from the agent invocation's `context` (LangChain's
 * `contextSchema` / `runtime.context` mechanism) under the key `augserve`.
 *
 * @example
 * ```ts
 * await agent.invoke(input, { context: { augserve: { priorityClass: "background", tenant: "acme" } } });
 * ```
 */
export const AugServeContextSchema = z.object({
  augserve: z
    .strictObject({
      /**
       * Service class of the run: under contention `background` work yields to `interactive` work (the
       * scheduler's rule). @default "interactive"
       */
      priorityClass: z.enum(["interactive", "background"]).optional(),
      /**
       * Fairness key (a user, a tenant): while several keys wait, none holds more than its token-weighted
       * fair share of the budget. 1 to 256 characters. @default one anonymous key
       */
      tenant: z.string().min(1).max(256).optional(),
    })
    .optional(),
});

/** What an invocation passes as `context` (merged with other middleware's context fields). */
export type AugServeContext = z.input<typeof AugServeContextSchema>;

/**
 * The `augserve` settings of an invocation's `context`, validated (throws `AugServeOptionsError` naming the
 * field, e.g. `context.augserve.priorityClass`); undefined when absent. Read once per run, when it begins:
 * the middleware declares no `contextSchema`, since LangChain parses every declared one again on every
 * model call (measured: more than the rest of the middleware).
 */
export function readContextSettings(context: unknown): z.output<typeof AugServeContextSchema>["augserve"] {
  const settings = (context as { augserve?: unknown } | null | undefined)?.augserve;
  if (settings === undefined) return undefined;
  return parseWith(
    AugServeContextSchema,
    { augserve: settings },
    (issues, cause) =>
      new AugServeOptionsError(
        issueLines(issues, "(root)").map((line) => `context.${line}`),
        cause,
      ),
  ).augserve;
}
