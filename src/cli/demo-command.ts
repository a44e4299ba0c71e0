/**
 * `augserve demo` (`npm run demo`): a live A/B in real time (time scale 1) with real LangChain agents over HTTP
 * against the in-process simulator, on `workloads/infercept-mix.json`, with three arms played at once: `plain`,
 * `augserve` with `overload: "queue"` and with `"shed"`. The deployment is `mistral7b-rtx4090-seqs4` (a desktop
 * GPU serving 4 sequences at once, fitted to published vLLM figures), where overload comes at a rate that a
 * laptop's CPU carries. Before it plays, the demo measures its CPU headroom and lowers the rate or refuses
 * (`planLiveRate`) rather than print figures that measure its own load.
 *
 * Only the rate, the arrival window, the horizon and the profile are chosen here (see docs/live.md); the SLO
 * is the workload's unless a lone request cannot meet it on the profile (`demoSlo`). Every figure printed
 * comes from the runs.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { z } from "zod";
import { DEMO_ARMS, runArmsLive, runArmsVirtual } from "../ab/live/demo-arms.js";
import { demoSlo } from "../ab/live/demo-slo.js";
import { armsReading, demoArmsTable, modeAdvice, ratioLines } from "../ab/live/demo-table.js";
import { type LiveRatePlan, planLiveRate, probeHeadroom } from "../ab/live/headroom.js";
import { createProgress, type Progress } from "../ab/progress.js";
import { type BenchResultRow, sustainableRates } from "../ab/results.js";
import { runSweep } from "../ab/virtual/sweep.js";
import { writeHtmlReport } from "../report/index.js";
import { AugServeError, parseFlagsOrExit } from "../util/index.js";
import { loadWorkload } from "../workload/load.js";
import type { GeneratedWorkload } from "../workload/types.js";

const WORKLOAD = resolve(dirname(fileURLToPath(import.meta.url)), "../../workloads/infercept-mix.json");
/** The window over which plain's sustainable rate is found: long enough for tool-heavy runs to accumulate. */
const SUSTAINABLE_WINDOW_S = 300;
/** Rates of the virtual sweeps (the demo's own rate is added). */
const SWEEP_RATES = [0.15, 0.3, 0.45, 0.6, 0.9, 1.2, 1.5];
/** The lowest rate the headroom check may lower the point to, in multiples of plain's sustainable rate. */
const MIN_RATE_OVER_SUSTAINABLE = 2;
/** The live point's event-loop p99 delay above which its figures are flagged (ms; time scale 1). */
const MAX_LAG_MS = 100;

const positive = (what: string) =>
  z.coerce.number({ error: `expected ${what}` }).positive(`expected ${what} > 0`);

/** The demo's flags; the defaults are the demo. */
export const DemoFlagsSchema = z.strictObject({
  /** Arrival rate, runs/s: 4x plain's sustainable 0.3 runs/s on the default profile (300-s window). */
  rate: positive("--rate").default(1.2),
  /** Arrival window, s. */
  duration: positive("--duration").default(60),
  /** Runs still open this many s after the window's start count as unfinished (live and virtual alike). */
  horizon: positive("--horizon").default(150),
  /** Simulator profile. */
  profile: z.string().min(1).default("mistral7b-rtx4090-seqs4"),
  /** Measure the CPU headroom first and lower the rate or refuse when the machine cannot carry the point. */
  headroomCheck: z.boolean().default(true),
  out: z.string().min(1).default("augserve-report"),
  quiet: z.boolean().default(false),
});
export type DemoFlags = z.output<typeof DemoFlagsSchema>;

/** The machine cannot carry the demo's point: nothing was played, no figure printed. */
export class DemoRefusedError extends AugServeError {
  static override readonly code = "CLI_DEMO_REFUSED";
  override readonly name = "DemoRefusedError";
  readonly plan: LiveRatePlan;
  constructor(plan: LiveRatePlan) {
    super(plan.message);
    this.plan = plan;
  }
}

function generate(rate: number, durationS: number, slo?: object): GeneratedWorkload {
  const file = JSON.parse(readFileSync(WORKLOAD, "utf8")) as Record<string, unknown>;
  return loadWorkload({ ...file, durationS, ...(slo === undefined ? {} : { slo }) }, { ratePerS: rate });
}

/** Plain's sustainable rate over {@link SUSTAINABLE_WINDOW_S} in virtual time (null: none swept). */
function sustainableRate(workload: object, profile: string): number | null {
  const rows = runSweep({
    workload,
    policies: ["plain"],
    rates: SWEEP_RATES,
    durationS: SUSTAINABLE_WINDOW_S,
    profile,
  }).results as BenchResultRow[];
  return sustainableRates(rows).get("plain") ?? null;
}

/** What the demo measures the machine with (injected by tests: the decision, not this machine, is tested). */
export interface DemoDeps {
  probe: typeof probeHeadroom;
}

/**
 * Runs the demo; returns the text for standard output.
 * @throws DemoRefusedError when the machine cannot carry the point (nothing played, nothing written)
 */
export async function runDemo(flags: DemoFlags, deps: DemoDeps = { probe: probeHeadroom }): Promise<string> {
  const started = performance.now();
  const first = generate(flags.rate, flags.duration);
  const slo = demoSlo(first, flags.profile);
  const fileWithSlo = { ...JSON.parse(readFileSync(WORKLOAD, "utf8")), slo: slo.slo };
  const sustainable = sustainableRate(fileWithSlo, flags.profile);
  const minRate = MIN_RATE_OVER_SUSTAINABLE * (sustainable ?? SWEEP_RATES[0]!);

  let plan: LiveRatePlan | null = null;
  if (flags.headroomCheck) {
    plan = planLiveRate(await deps.probe({ threads: DEMO_ARMS.length }), {
      rate: flags.rate,
      arms: DEMO_ARMS.length,
      minRate: Math.min(minRate, flags.rate),
    });
    if (plan.decision === "refuse") throw new DemoRefusedError(plan);
  }
  const rate = plan?.rate ?? flags.rate;
  const workload = generate(rate, flags.duration, slo.slo);
  const horizonMs = flags.horizon * 1000;

  const virtual = runArmsVirtual(workload, { profile: flags.profile, rate, horizonMs });
  const curve = [...new Set([...SWEEP_RATES, rate])]
    .sort((a, b) => a - b)
    .flatMap((r) =>
      runArmsVirtual(generate(r, flags.duration, slo.slo), {
        profile: flags.profile,
        rate: r,
        horizonMs,
        arms: DEMO_ARMS.slice(0, 2),
      }),
    );

  const progress: Progress = createProgress(workload.runs.length * DEMO_ARMS.length, { quiet: flags.quiet });
  const ended = new Map<string, number>();
  const live = await runArmsLive(workload, {
    profile: flags.profile,
    rate,
    horizonMs,
    onRunEnded: (arm, count) => {
      progress.tick(count - (ended.get(arm) ?? 0), `live, ${arm}`);
      ended.set(arm, count);
    },
  }).finally(() => progress.stop());

  const load = live.load.map((l) => ({
    policy: l.label,
    ratePerS: rate,
    repeat: 0,
    lagP99Ms: Math.round(l.load.lagP99Ms * 100) / 100,
    cpuCores: Math.round(l.load.cpuCores * 100) / 100,
    cpuBound: l.load.lagP99Ms > MAX_LAG_MS,
  }));
  const report = {
    workload: workload.name,
    mode: "live" as const,
    profile: flags.profile,
    setup: {
      date: new Date().toISOString(),
      backend: "sim",
      policies: DEMO_ARMS.map((a) => a.label),
      rates: [rate],
      seed: workload.seed,
      slo: workload.slo,
    },
    results: live.rows,
    // The scheduler's queue and budget over time, for the queue arm (the report draws one timeline).
    timelines: live.results
      .filter((r, i) => DEMO_ARMS[i]?.label === "augserve" && r.timeline.length > 0)
      .map((r) => ({ policy: "augserve", ratePerS: rate, points: r.timeline })),
    live: { timeScale: 1, load, horizonS: flags.horizon },
    virtualPoint: virtual,
    virtualSweep: { profile: flags.profile, results: curve },
  };
  const out = resolve(flags.out);
  mkdirSync(out, { recursive: true });
  const jsonPath = resolve(out, "results.json");
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  const htmlPath = await writeHtmlReport(report, resolve(out, "index.html"));

  return renderDemoText({
    live: live.rows,
    virtual,
    load,
    flags,
    rate,
    sustainable,
    plan,
    sloExplanation: slo.explanation,
    seconds: (performance.now() - started) / 1000,
    htmlPath,
    jsonPath,
  });
}

/** What `renderDemoText` prints from. */
export interface DemoTextInput {
  live: BenchResultRow[];
  virtual: BenchResultRow[];
  load: Array<{ policy: string; lagP99Ms: number; cpuCores: number; cpuBound: boolean }>;
  flags: Pick<DemoFlags, "duration" | "horizon" | "profile">;
  rate: number;
  sustainable: number | null;
  plan: LiveRatePlan | null;
  sloExplanation: string;
  seconds: number;
  htmlPath: string;
  jsonPath: string;
}

/** The demo's text, from its results alone (so the words follow from the numbers). */
export function renderDemoText(input: DemoTextInput): string {
  const { live, virtual, flags, rate, sustainable } = input;
  const cpuBound = input.load.some((l) => l.cpuBound);
  const s = sustainable === null ? "none swept" : `${sustainable}/s`;
  const times = sustainable === null ? "" : ` (${(rate / sustainable).toFixed(1)}x)`;
  const lag = input.load.map((l) => `${l.policy} ${l.lagP99Ms.toFixed(0)} ms`).join(", ");
  // The arms share one process: its CPU (all threads) over the point, as each arm's monitor read it.
  const cores = Math.max(0, ...input.load.map((l) => l.cpuCores));
  return [
    `AugServe demo: ${live[0]?.runs ?? 0} runs of infercept-mix arriving at ${rate} runs/s for ${flags.duration} s, ` +
      `live LangChain agents in real time against the simulator (${flags.profile}), three arms at once; ` +
      `runs open ${flags.horizon} s after the window's start count as unfinished; took ${input.seconds.toFixed(0)} s`,
    input.sloExplanation,
    `Plain's sustainable rate (>= 90% in SLO over a ${SUSTAINABLE_WINDOW_S}-s window, virtual time): ${s}; ` +
      `the demo plays ${rate}/s${times}.`,
    input.plan === null ? "CPU headroom: not checked (--no-headroom-check)." : input.plan.message,
    "",
    demoArmsTable(live, virtual),
    "",
    ...ratioLines(live, virtual),
    "(bootstrap over runs, 2,000 resamples: it covers the sampling of runs, not the machine's own noise)",
    `Event-loop p99 delay per arm: ${lag}${cpuBound ? ` (over ${MAX_LAG_MS} ms: flagged)` : ""}; ` +
      `the process used ${cores.toFixed(2)} cores.`,
    armsReading(live, virtual, cpuBound),
    modeAdvice(live),
    "",
    `report:  ${input.htmlPath}\nresults: ${input.jsonPath}\n`,
  ].join("\n");
}

/** Registers `demo` on the program. */
export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description(
      "Live A/B in real time of plain vs augserve (queue and shed) with real LangChain agents against the simulator",
    )
    // Defaults live in DemoFlagsSchema (one place); the help text states them.
    .option("--rate <runs/s>", "arrival rate (default 1.2)")
    .option("--duration <s>", "arrival window, s (default 60)")
    .option("--horizon <s>", "runs open this long after the window's start count as unfinished (default 150)")
    .option("--profile <name>", "simulator profile (default mistral7b-rtx4090-seqs4)")
    .option(
      "--no-headroom-check",
      "play the point even when the CPU headroom probe says it cannot be carried",
    )
    .option("--out <dir>", "where the report goes", "augserve-report")
    .option("--quiet", "no progress bar")
    .action(async (raw: Record<string, unknown>) => {
      const flags = parseFlagsOrExit("augserve demo", DemoFlagsSchema, raw);
      if (flags === undefined) return;
      try {
        process.stdout.write(await runDemo(flags));
      } catch (error) {
        process.stderr.write(`augserve demo: ${(error as Error).message}\n`);
        process.exitCode = error instanceof DemoRefusedError ? 3 : 1;
      }
    });
}
