/**
 * Options of `runVirtual`, validated with zod (the schema is the one source of the scalar options).
 */
import { z } from "zod";
import { MeanBaselinePredictor } from "../../predict/mean-baseline.js";
import { createPredictor } from "../../predict/predictor.js";
import type { Predictor } from "../../predict/types.js";
import { POLICY_NAMES, type PolicyName } from "../../scheduler/index.js";
import type { SchedulerOptions } from "../../scheduler/options.js";
import { getProfile, SIM_PROFILES } from "../../sim/engine/profiles.js";
import { AugServeError, parseWith } from "../../util/index.js";
import type { GeneratedWorkload } from "../../workload/types.js";
import { defaultEngineFactory, defaultSchedulerFactory } from "./defaults.js";
import type { EngineFactory, SchedulerFactory } from "./engine-port.js";

/**
 * The benchmark's arms that are no scheduler policy: the client-side baselines `plain` (every call sent at
 * once) and `fcfs-window` (at most `window` calls in flight, FCFS).
 */
export const BENCH_ONLY_POLICIES = ["plain", "fcfs-window"] as const;

/** Policies of the benchmark: the two client-side baselines and the scheduler's policies. */
export const BENCH_POLICIES = [...BENCH_ONLY_POLICIES, ...POLICY_NAMES] as const;
export type BenchPolicy = (typeof BENCH_POLICIES)[number];

/** The scheduler's policies among {@link BENCH_POLICIES}. */
export function isSchedulerPolicy(policy: BenchPolicy): policy is PolicyName {
  return !(BENCH_ONLY_POLICIES as readonly string[]).includes(policy);
}

export const VirtualScalarOptionsSchema = z.strictObject({
  /** The policy under test. */
  policy: z.enum(BENCH_POLICIES),
  /** Simulator profile. @default "llama3-8b-h100" */
  profile: z.string().min(1).default("llama3-8b-h100"),
  /** Calls in flight for `fcfs-window`. Integer >= 1. @default 16 */
  window: z.number().int().positive().default(16),
  /**
   * How often the scheduler is shown the engine's stats, ms of virtual time (vLLM's metrics are about this
   * stale). > 0. @default 1000
   */
  observeIntervalMs: z.number().positive().default(1000),
  /** The engine's own queue order (the same server for every policy). @default "fcfs" */
  engineScheduling: z.enum(["fcfs", "priority"]).default("fcfs"),
  /** Let the engine fuse decode-only stretches into one outcome (exact, and much faster). @default true */
  fuseSteps: z.boolean().default(true),
  /**
   * Which predictor `sjf`, `las` and `augserve` use when no `predictor` is given: the online Stage I predictor
   * (`createPredictor()`, cold start, learning as runs finish) or the constant `MeanBaselinePredictor`.
   * @default "online"
   */
  predictorKind: z.enum(["online", "mean"]).default("online"),
  /**
   * Time from a call's dispatch to its arrival in the engine's queue (HTTP, parsing, tokenisation), ms.
   * @default the simulator profile's `serverOverheadMs` (0 for an unknown profile), as the HTTP simulator adds it
   */
  serverOverheadMs: z.number().nonnegative().optional(),
  /** Safety stop of the simulation, ms of virtual time; runs open then are reported unfinished. @default 86_400_000 */
  maxVirtualMs: z.number().positive().default(86_400_000),
});

export interface VirtualRunOptions extends z.input<typeof VirtualScalarOptionsSchema> {
  workload: GeneratedWorkload;
  /**
   * The predictor behind `sjf`, `las` and `augserve` (the oracle reads the scripts instead). A factory is
   * called once per `runVirtual`, so that policies do not share what they learned.
   * @default per `predictorKind`: () => createPredictor() or () => new MeanBaselinePredictor()
   */
  predictor?: Predictor | (() => Predictor);
  /**
   * Scheduler options for ablations (e.g. `{ budget: { mode: "fixed", tokens: 131072 } }`), validated by the
   * scheduler; `policy` and the workload's SLO always win.
   */
  schedulerOptions?: SchedulerOptions;
  /** @default the simulator's `Engine` */
  createEngine?: EngineFactory;
  /** @default the scheduler's `createScheduler` */
  createScheduler?: SchedulerFactory;
  /** Called after each run ends (progress reporting). */
  onRunEnded?: (ended: number, total: number) => void;
}

/** Thrown when `runVirtual`'s options are invalid; wraps the `ZodError`. */
export class VirtualOptionsError extends AugServeError {
  static override readonly code = "AB_VIRTUAL_OPTIONS";
  override readonly name = "VirtualOptionsError";
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

export function resolveRunOptions(options: VirtualRunOptions) {
  const { workload, predictor, createEngine, createScheduler, onRunEnded, schedulerOptions, ...scalars } =
    options;
  const data = parseWith(
    VirtualScalarOptionsSchema,
    scalars,
    ([issue], cause) =>
      new VirtualOptionsError(
        `Invalid runVirtual options: ${issue?.path ?? ""}: ${issue?.message ?? "invalid"}`,
        cause,
      ),
  );
  const makePredictor =
    typeof predictor === "function"
      ? predictor
      : predictor !== undefined
        ? () => predictor
        : data.predictorKind === "mean"
          ? () => new MeanBaselinePredictor()
          : () => createPredictor();
  const serverOverheadMs =
    data.serverOverheadMs ??
    (Object.hasOwn(SIM_PROFILES, data.profile) ? getProfile(data.profile).serverOverheadMs : 0);
  return {
    ...data,
    serverOverheadMs,
    workload,
    predictor: makePredictor,
    createEngine: createEngine ?? defaultEngineFactory,
    createScheduler: createScheduler ?? defaultSchedulerFactory,
    onRunEnded,
    schedulerOptions,
  };
}
