/**
 * Options of the live benchmark (`runLive`, `runLiveSweep`), validated with zod: the schema is the one source
 * of the scalar options and their defaults.
 */
import { z } from "zod";
import { LIVE_POLICY_NAMES } from "../../scheduler/index.js";
import { AugServeError, parseWith } from "../../util/index.js";
import { BENCH_ONLY_POLICIES } from "../virtual/options.js";

/** Policies live mode runs: the oracle needs the hidden script in the scheduler, which no agent has. */
export const LIVE_POLICIES = [...BENCH_ONLY_POLICIES, ...LIVE_POLICY_NAMES] as const;
export type LivePolicy = (typeof LIVE_POLICIES)[number];

/**
 * Default time scale of the embedded simulator: wall time runs this many times faster than the simulated GPU.
 * Chosen so that a 2-core machine carries `infercept-mix` above plain's sustainable rate (see docs/live.md);
 * raise it only while the event-loop lag warning stays silent.
 */
export const DEFAULT_TIME_SCALE = 4;

/**
 * Where the live benchmark's calls go: `"sim"`, `"engine"` or `"gateway"` started in this process, or the base
 * URL of an OpenAI-compatible server. The one definition `--backend` and `runLive`'s `backend` both validate with.
 */
export const LiveBackendSchema = z.union([
  z.literal("sim"),
  z.literal("engine"),
  z.literal("gateway"),
  z.url({ error: 'expected "sim", "engine", "gateway" or a URL like http://host:port/v1' }),
]);

export const LiveScalarOptionsSchema = z.strictObject({
  /** The policy under test. */
  policy: z.enum(LIVE_POLICIES, { error: `expected a policy among ${LIVE_POLICIES.join(", ")}` }),
  /**
   * `"sim"`: start the embedded simulator in this process on a free loopback port (a fresh one per point);
   * or the base URL of an OpenAI-compatible server, e.g. `http://127.0.0.1:8000/v1`. @default "sim"
   */
  backend: LiveBackendSchema.default("sim"),
  /** `engine` backend: the GGUF to serve. @default a random-weight `small` llama written by `makeModel` */
  engineModel: z.string().min(1).optional(),
  /** `engine` backend: sequences decoded together (llama.cpp's `--parallel`), 1..64. @default 4 */
  engineParallel: z.number().int().min(1).max(64).default(4),
  /** `engine` backend: KV cells per sequence (prompt + output of one call). @default 4096 */
  engineContextSize: z.number().int().min(256).max(65_536).default(4096),
  /**
   * Arrivals and tool latencies are multiplied by this (0 < x <= 1), the server's speed is not: the workload
   * scaled to a real engine's speed, which no time scale can speed up. Rates are of the scaled workload.
   * @default 1 (0.1 is the `engine` backend's usual value)
   */
  timeFactor: z.number().positive().max(1).default(1),
  /** `backend: "gateway"`: simulator replicas behind the gateway (docs/gateway.md). 1..16. @default 2 */
  gatewayReplicas: z.number().int().min(1).max(16).default(2),
  /** `backend: "gateway"`: the gateway's placement. @default "augserve" */
  gatewayPlacement: z.enum(["augserve", "least-loaded", "round-robin"]).default("augserve"),
  /** The server's Prometheus endpoint (remote backends; the simulator's own is used with `sim`). */
  serverMetricsUrl: z.url().optional(),
  /** Served model name sent to a remote backend. @default "sim" */
  model: z.string().min(1).default("sim"),
  /** Simulator profile (`sim` backend). @default "llama3-8b-h100" */
  profile: z.string().min(1).default("llama3-8b-h100"),
  /**
   * Wall time runs this many times faster than the workload's time (arrivals, tool latencies and, with `sim`,
   * the simulated GPU). Reported durations are multiplied back: they are in unscaled ms. Use 1 against a real
   * server. > 0, <= 1000. @default 4 with `sim`, 1 otherwise
   */
  timeScale: z.number().positive().max(1000).optional(),
  /** Calls in flight for `fcfs-window`. Integer >= 1. @default 16 */
  window: z.number().int().positive().default(16),
  /** How often the scheduler's queue, in-flight tokens and budget are sampled, wall ms. >= 10. @default 250 */
  timelineIntervalMs: z.number().min(10).default(250),
  /**
   * The event loop's p99 delay, in unscaled ms (wall delay x time scale), above which the run is flagged as
   * CPU-bound: the process could not keep up, and the live figures are distorted. > 0. @default 100
   */
  maxLagMs: z.number().positive().default(100),
  /** Safety stop per point, wall ms; runs still open then are reported unfinished. @default 900_000 */
  maxWallMs: z.number().positive().default(900_000),
  /**
   * Stop as soon as every run still open is past its own SLO deadline (`sloDeadlineMs`): they can only miss,
   * and no run is cut before then, so every SLO outcome and the load before the stop are unchanged.
   * @default false
   */
  stopWhenSloDecided: z.boolean().default(false),
  /**
   * `sim` backend: run the simulator in a worker thread (its own event loop and core), so that its steps and
   * SSE writes do not delay the agents. Needs the module loadable in a worker (built JS, or the process
   * started under tsx, whose loader workers inherit). @default false
   */
  simThread: z.boolean().default(false),
});
export type LiveScalarOptions = z.input<typeof LiveScalarOptionsSchema>;
export type ResolvedLiveScalarOptions = z.output<typeof LiveScalarOptionsSchema> & { timeScale: number };

/** Invalid live-bench options; wraps the `ZodError`. */
export class LiveOptionsError extends AugServeError {
  static override readonly code = "AB_LIVE_OPTIONS";
  override readonly name = "LiveOptionsError";
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

/** Validates the scalar options. @throws LiveOptionsError naming every bad field and what came. */
export function parseLiveOptions(raw: LiveScalarOptions): ResolvedLiveScalarOptions {
  // The test pins this wording (`got -1`): zod's message and the value as JSON.
  const o = parseWith(LiveScalarOptionsSchema, raw, (_, cause) => {
    const lines = cause.issues.map(
      (i) =>
        `  ${i.path.join(".") || "(options)"}: ${i.message}, got ${JSON.stringify(valueAt(raw, i.path))}`,
    );
    return new LiveOptionsError(`Invalid live bench options:\n${lines.join("\n")}`, cause);
  });
  if (o.backend === "engine" && o.timeScale !== undefined && o.timeScale !== 1)
    throw new LiveOptionsError(
      `Invalid live bench options:\n  timeScale: the real engine runs in wall time (use timeFactor to scale the workload), got ${o.timeScale}`,
    );
  const simulated = o.backend === "sim" || o.backend === "gateway";
  return { ...o, timeScale: o.timeScale ?? (simulated ? DEFAULT_TIME_SCALE : 1) };
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let at = raw;
  for (const key of path) at = (at as Record<PropertyKey, unknown> | undefined)?.[key];
  return at;
}
