/**
 * `augserve bench`: the A/B benchmark of policies over a workload file (issue 4).
 *
 *   augserve bench --workload FILE --mode virtual --policies plain,fcfs-window,fcfs,sjf,las,augserve,augserve-oracle
 *                  [--rates 1,2,4,8] [--duration S] [--overload queue|shed] [--profile NAME] [--window N]
 *                  [--seed N] [--json OUT] [--quiet]
 */
import type { Command } from "commander";
import { z } from "zod";
import { commaSeparated, numberFlag } from "../ab/flags.js";
import { runLiveBench } from "../ab/live/cli.js";
import { LiveBackendSchema } from "../ab/live/options.js";
import { writeBenchOutputs } from "../ab/output.js";
import { sweepProgress } from "../ab/progress.js";
import { ReplicaFlagsShape, runReplicaBench } from "../ab/replicas/cli.js";
import { renderReport } from "../ab/table.js";
import { BENCH_POLICIES } from "../ab/virtual/options.js";
import { runSweep } from "../ab/virtual/sweep.js";
import { AugServeError, parseWith } from "../util/index.js";

const list = (what: string) =>
  commaSeparated.pipe(z.array(z.string()).min(1, `expected at least one ${what}`));

/** The flags of `augserve bench`, validated; the one source of their types and defaults. */
export const BenchFlagsSchema = z.object({
  workload: z.string({ error: "expected --workload FILE" }).min(1),
  mode: z.enum(["virtual", "live"], { error: 'expected --mode "virtual" or "live"' }).default("virtual"),
  policies: list("policy")
    .pipe(z.array(z.enum(BENCH_POLICIES, { error: `expected policies among ${BENCH_POLICIES.join(", ")}` })))
    .default([...BENCH_POLICIES]),
  rates: list("rate")
    .pipe(z.array(numberFlag("a rate in runs/s").pipe(z.number().positive("expected a rate > 0"))))
    .optional(),
  profile: z.string().min(1).default("llama3-8b-h100"),
  window: numberFlag("an integer window")
    .pipe(z.number().int("expected an integer window").min(1, "expected --window >= 1"))
    .default(16),
  seed: numberFlag("an integer seed").pipe(z.number().int("expected an integer seed")).optional(),
  /** Overrides the file's arrival window, s (virtual mode): how long a sustained overload lasts. */
  duration: numberFlag("a duration in s")
    .pipe(z.number().positive("expected --duration > 0").max(86_400, "expected --duration <= 86400"))
    .optional(),
  /** The scheduler's overload control for every scheduler policy (`overload` of the scheduler options). */
  overload: z.enum(["queue", "shed"], { error: 'expected --overload "queue" or "shed"' }).optional(),
  predictor: z
    .enum(["online", "mean"], { error: 'expected --predictor "online" or "mean"' })
    .default("online"),
  /** Scheduler options as JSON, for ablations (validated by the scheduler). */
  schedulerOptions: z
    .string()
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as Record<string, unknown>;
      } catch {
        ctx.addIssue({ code: "custom", message: `expected a JSON object, got ${JSON.stringify(s)}` });
        return z.NEVER;
      }
    })
    .optional(),
  json: z.string().min(1).optional(),
  /** Also write the HTML report (see docs/report.md). */
  html: z.string().min(1).optional(),
  quiet: z.boolean().default(false),
  // Live mode (docs/live.md): the server, its metrics, the time scale, the served model, repeats per point.
  backend: LiveBackendSchema.default("sim"),
  /** `--backend engine`: the GGUF to serve (default: a random-weight small llama, written once). */
  engineModel: z.string().min(1).optional(),
  engineParallel: numberFlag("an integer sequence count")
    .pipe(z.number().int("expected an integer").min(1, "expected --engine-parallel >= 1").max(64))
    .default(4),
  /** `--backend engine`: arrivals and tool latencies x this (the workload scaled to the engine's speed). */
  timeFactor: numberFlag("a time factor")
    .pipe(z.number().positive("expected --time-factor > 0").max(1, "expected --time-factor <= 1"))
    .optional(),
  serverMetrics: z.url({ error: "expected a URL like http://host:port/metrics" }).optional(),
  timeScale: numberFlag("a time scale").pipe(z.number().positive("expected --time-scale > 0")).optional(),
  model: z.string().min(1).default("sim"),
  /** live, `--backend sim`: the simulator in a worker thread, off the agents' event loop (as the demo). */
  simThread: z.boolean().default(false),
  repeat: numberFlag("an integer repeat count")
    .pipe(z.number().int("expected an integer repeat count").min(1, "expected --repeat >= 1"))
    .default(1),
  // Multi-replica mode (docs/gateway.md): --replicas N, --placement list (with --duration, --overload).
  ...ReplicaFlagsShape,
});
export type BenchFlags = z.output<typeof BenchFlagsSchema>;

/** Bad flags of `augserve bench`; wraps the `ZodError`. */
export class BenchFlagsError extends AugServeError {
  static override readonly code = "CLI_BENCH_FLAGS";
  override readonly name = "BenchFlagsError";
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

/** Validates raw commander options. @throws BenchFlagsError naming every bad flag. */
export function parseBenchFlags(raw: Record<string, unknown>): BenchFlags {
  // Flags are strings turned into numbers and lists: zod's own messages say what came, so they are kept as is.
  return parseWith(BenchFlagsSchema, raw, (_, cause) => {
    const flag = (key: PropertyKey | undefined) =>
      String(key ?? "?").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const lines = cause.issues.map((i) => `  --${flag(i.path[0])}: ${i.message}`);
    return new BenchFlagsError(`Invalid bench options:\n${lines.join("\n")}`, cause);
  });
}

/** Runs the benchmark for validated flags; returns the text that goes to standard output. */
export async function runBench(flags: BenchFlags): Promise<string> {
  const schedulerOptions =
    flags.overload === undefined
      ? flags.schedulerOptions
      : { ...flags.schedulerOptions, overload: flags.overload };
  if (flags.mode === "live") {
    if (flags.duration !== undefined) throw new BenchFlagsError("--duration is for --mode virtual");
    return runLiveBench(schedulerOptions === undefined ? flags : { ...flags, schedulerOptions });
  }
  if (flags.replicas !== undefined) {
    return runReplicaBench({
      ...flags,
      replicas: flags.replicas,
      ...(flags.duration === undefined ? {} : { durationS: flags.duration }),
      ...(schedulerOptions === undefined ? {} : { schedulerOptions }),
    });
  }
  const progress = sweepProgress({ quiet: flags.quiet });
  const report = runSweep({
    workload: flags.workload,
    policies: flags.policies,
    ...(flags.rates === undefined ? {} : { rates: flags.rates }),
    ...(flags.seed === undefined ? {} : { seed: flags.seed }),
    ...(flags.duration === undefined ? {} : { durationS: flags.duration }),
    profile: flags.profile,
    window: flags.window,
    predictorKind: flags.predictor,
    ...(schedulerOptions === undefined ? {} : { schedulerOptions }),
    ...progress.hooks,
  });
  progress.stop();
  const text = `workload ${report.workload}, mode virtual, profile ${report.profile}\n\n${renderReport(report.results)}\n`;
  return writeBenchOutputs(report, text, flags);
}

/** Registers `bench` on the program. */
export function registerBenchCommand(program: Command): void {
  program
    .command("bench")
    .description("A/B benchmark of scheduling policies over a workload file (virtual time)")
    .option("--workload <file>", "workload file (synthetic or augserve-trace/v1)")
    .option("--mode <mode>", "virtual (discrete-event, seconds) or live (real agents over HTTP)", "virtual")
    .option("--policies <list>", `comma-separated, among ${BENCH_POLICIES.join(",")}`)
    .option("--rates <list>", "comma-separated arrival rates, runs/s (default: the file's)")
    .option("--profile <name>", "simulator profile", "llama3-8b-h100")
    .option("--window <n>", "calls in flight for fcfs-window", "16")
    .option("--seed <n>", "overrides the workload's seed")
    .option("--duration <s>", "overrides the workload's arrival window, s (virtual mode)")
    .option("--overload <mode>", "scheduler overload control: queue (default) or shed")
    .option("--predictor <kind>", "online (Stage I predictor) or mean (constant baseline)", "online")
    .option(
      "--scheduler-options <json>",
      'scheduler options for ablations, e.g. \'{"budget":{"mode":"fixed","tokens":131072}}\'',
    )
    .option("--json <out>", "write the JSON report to a file, or - for standard output only")
    .option("--html <out>", "also write the HTML report there")
    .option("--quiet", "no progress bar")
    .option(
      "--backend <sim|engine|gateway|url>",
      "live: sim (in-process simulator), engine (the real llama.cpp engine, in-process), gateway (sim replicas behind the gateway) or a base URL",
      "sim",
    )
    .option("--server-metrics <url>", "live: the remote server's /metrics")
    .option("--time-scale <x>", "live: wall time runs x times faster (default 4 with sim, 1 otherwise)")
    .option("--model <name>", "live: served model name", "sim")
    .option(
      "--engine-model <file>",
      "live, --backend engine: GGUF to serve (default: a generated small llama)",
    )
    .option("--engine-parallel <n>", "live, --backend engine: sequences decoded together", "4")
    .option(
      "--time-factor <x>",
      "live: arrivals and tool latencies x this, server speed unchanged (default 0.1 with --backend engine)",
    )
    .option("--repeat <k>", "live: run each point k times with seeds seed..seed+k-1", "1")
    .option("--sim-thread", "live, --backend sim: run the simulator in a worker thread (as the demo)")
    .option("--replicas <n>", "virtual: N replicas behind the gateway's placement (docs/gateway.md)")
    .option("--placement <list>", "with --replicas: among round-robin,least-loaded,augserve")
    .action(async (raw: Record<string, unknown>) => {
      try {
        process.stdout.write(await runBench(parseBenchFlags(raw)));
      } catch (error) {
        process.stderr.write(`augserve bench: ${(error as Error).message}\n`);
        process.exitCode = 2;
      }
    });
}
