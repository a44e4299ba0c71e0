/**
 * `augserve demo` (`npm run demo`): a live A/B of `plain` vs `augserve` with real LangChain agents over HTTP
 * against the in-process simulator, on `workloads/infercept-mix.json`, at a rate above plain's sustainable rate
 * on a small, KV-constrained deployment (`llama3-8b-a10g`: Llama-3-8B on one A10G, fitted to published vLLM
 * figures). It prints the comparison
 * with ratios, a bootstrap interval of the goodput ratio and a one-line reading, and writes
 * `augserve-report/index.html` and `results.json`, which also hold a virtual-time sweep of the same workload
 * and profile so the live points are read against the whole goodput-vs-rate curve.
 *
 * Only the rate, the arrival window, the profile and the time scale are chosen here (see docs/live.md); the
 * SLO is the workload's unless a lone request cannot meet it on the profile (`demoSlo`). Every figure printed
 * comes from the runs.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { z } from "zod";
import { lagWarning } from "../bench/live/cli.js";
import { demoSlo } from "../bench/live/demo-slo.js";
import {
  demoReading,
  formatInterval,
  goodputRatioInterval,
  metRuns,
  type RatioInterval,
} from "../bench/live/demo-stats.js";
import { type LiveBenchReport, runLiveSweep } from "../bench/live/sweep.js";
import { createProgress, type Progress } from "../bench/progress.js";
import { writeHtmlReport } from "../bench/report/index.js";
import { type BenchResultRow, sustainableRates } from "../bench/results.js";
import { renderTable } from "../bench/table.js";
import { runSweep } from "../bench/virtual/sweep.js";
import { loadWorkload } from "../bench/workload/load.js";

const WORKLOAD = resolve(dirname(fileURLToPath(import.meta.url)), "../../workloads/infercept-mix.json");
/** Rates of the virtual sweep drawn beside the live point (the demo's own rate is added). */
const SWEEP_RATES = [1, 2, 3, 4, 5, 6, 8, 10, 12];

const positive = (what: string) =>
  z.coerce.number({ error: `expected ${what}` }).positive(`expected ${what} > 0`);

/** The demo's flags; the defaults are the demo. */
export const DemoFlagsSchema = z.strictObject({
  /**
   * Arrival rate, runs/s: above plain's sustainable rate on the default profile and window (5/s over 40 s of
   * arrivals in virtual time; the demo's own sweep prints it).
   */
  rate: positive("--rate").default(8),
  /** Arrival window, s of workload time: long enough for the overload to build. */
  duration: positive("--duration").default(40),
  /** Simulator profile. */
  profile: z.string().min(1).default("llama3-8b-a10g"),
  /** Wall time runs this many times faster than the workload. */
  timeScale: positive("--time-scale").default(6),
  /** Skip the virtual sweep (the report then shows the live point alone). */
  sweep: z.boolean().default(true),
  out: z.string().min(1).default("augserve-report"),
  quiet: z.boolean().default(false),
});
export type DemoFlags = z.output<typeof DemoFlagsSchema>;

const ms = (x: number | null) =>
  x === null ? "-" : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(0)} ms`;
const ratio = (x: number | null, base: number | null) =>
  x === null || base === null || base === 0 ? "-" : `${(x / base).toFixed(2)}x`;

/** The demo's comparison: one row per metric, plain and augserve side by side, and their ratio. */
export function demoTable(plain: BenchResultRow, aug: BenchResultRow): string {
  const rows: Array<[string, number | null, number | null, (x: number | null) => string]> = [
    ["goodput (runs/s in SLO)", plain.goodput, aug.goodput, (x) => (x === null ? "-" : x.toFixed(3))],
    [
      "SLO attainment",
      plain.sloAttainment,
      aug.sloAttainment,
      (x) => (x === null ? "-" : `${(x * 100).toFixed(1)}%`),
    ],
    ["TTFT mean", plain.ttftMs.mean, aug.ttftMs.mean, ms],
    ["TTFT p50", plain.ttftMs.p50, aug.ttftMs.p50, ms],
    ["TTFT p99", plain.ttftMs.p99, aug.ttftMs.p99, ms],
    ["E2E p50", plain.e2eMs.p50, aug.e2eMs.p50, ms],
    ["E2E p99", plain.e2eMs.p99, aug.e2eMs.p99, ms],
    ["queue wait p99", plain.queueWaitMs.p99, aug.queueWaitMs.p99, ms],
  ];
  return renderTable(
    ["metric", "plain", "augserve", "augserve / plain"],
    [
      ...rows.map(([name, p, a, f]) => [name, f(p), f(a), ratio(a, p)]),
      ["runs (unfinished)", `${plain.runs} (${plain.unfinished})`, `${aug.runs} (${aug.unfinished})`, ""],
    ],
  );
}

/** Runs the demo; returns the text for standard output. */
export async function runDemo(flags: DemoFlags): Promise<string> {
  const started = performance.now();
  const file = { ...loadFile(), durationS: flags.duration };
  const generated = loadWorkload(file, { ratePerS: flags.rate });
  const slo = demoSlo(generated, flags.profile);
  const workload = { ...file, slo: slo.slo };

  const sweep = flags.sweep ? virtualSweep(workload, flags) : null;
  let progress: Progress = createProgress(0, { quiet: true });
  const warnings: string[] = [];
  const report = await runLiveSweep({
    workload,
    policies: ["plain", "augserve"],
    rates: [flags.rate],
    profile: flags.profile,
    timeScale: flags.timeScale,
    // Runs still open when no run can meet its SLO any more are misses either way: not waited for.
    stopWhenSloDecided: true,
    // The simulator on its own thread: its steps and SSE writes stay off the agents' event loop.
    simThread: true,
    onTotal: (total) => {
      progress = createProgress(total, { quiet: flags.quiet });
    },
    onProgress: (delta, label) => progress.tick(delta, label),
    onPoint: (point) => {
      if (point.load.cpuBound) warnings.push(lagWarning(point, flags.timeScale));
    },
  }).finally(() => progress.stop());
  const full =
    sweep === null ? report : { ...report, virtualSweep: { profile: flags.profile, results: sweep } };
  const out = resolve(flags.out);
  mkdirSync(out, { recursive: true });
  const jsonPath = resolve(out, "results.json");
  writeFileSync(jsonPath, `${JSON.stringify(full, null, 2)}\n`);
  const htmlPath = await writeHtmlReport(full, resolve(out, "index.html"));

  const seconds = (performance.now() - started) / 1000;
  return renderDemoText({
    report,
    sweep,
    sloExplanation: slo.explanation,
    flags,
    seconds,
    warnings,
    htmlPath,
    jsonPath,
  });
}

/** What `renderDemoText` prints from. */
export interface DemoTextInput {
  report: LiveBenchReport;
  sweep: BenchResultRow[] | null;
  sloExplanation: string;
  flags: Pick<DemoFlags, "rate" | "duration" | "profile" | "timeScale">;
  seconds: number;
  warnings: readonly string[];
  htmlPath: string;
  jsonPath: string;
}

/** The demo's text, from its results alone (so the words follow from the numbers). */
export function renderDemoText(input: DemoTextInput): string {
  const { report, sweep, flags, warnings } = input;
  const [plain, aug] = report.results as [BenchResultRow, BenchResultRow];
  const interval = goodputRatioInterval(plain, aug);
  const cpuBound = report.live.load.some((l) => l.cpuBound);
  const virtualInterval = sweep === null ? undefined : virtualPoint(sweep, flags.rate)?.interval;
  return [
    `AugServe demo: ${report.workload}, ${flags.rate} runs/s for ${flags.duration} s of arrivals, live LangChain ` +
      `agents against the simulator (${flags.profile}), time scale ${flags.timeScale}; times in unscaled ms, ` +
      `took ${input.seconds.toFixed(0)} s`,
    input.sloExplanation,
    sweep === null ? "" : sustainableLine(sweep, flags.rate),
    "",
    demoTable(plain, aug),
    "",
    `goodput augserve / plain: ${formatInterval(interval)}, bootstrap over runs (${interval.resamples} resamples); ` +
      "it covers the sampling of runs, not the machine's own noise (other processes on its cores).",
    sweep === null ? "" : virtualPointLine(sweep, flags.rate),
    demoReading(interval, {
      cpuBound,
      met: { plain: metRuns(plain), augserve: metRuns(aug) },
      ...(virtualInterval === undefined ? {} : { virtual: virtualInterval }),
    }),
    "",
    `${warnings.join("")}report:  ${input.htmlPath}\nresults: ${input.jsonPath}\n`,
  ]
    .filter((line, i) => line !== "" || i > 2)
    .join("\n");
}

/** The virtual-time sweep of the same workload, SLO and profile (seconds of CPU), both policies. */
function virtualSweep(workload: object, flags: DemoFlags): BenchResultRow[] {
  const rates = [...new Set([...SWEEP_RATES, flags.rate])].sort((a, b) => a - b);
  let progress: Progress = createProgress(0, { quiet: true });
  try {
    return runSweep({
      workload,
      policies: ["plain", "augserve"],
      rates,
      profile: flags.profile,
      onTotal: (total) => {
        progress = createProgress(total, { quiet: flags.quiet });
      },
      onProgress: (delta, label) => progress.tick(delta, `virtual sweep: ${label}`),
    }).results as BenchResultRow[];
  } finally {
    progress.stop();
  }
}

/** The virtual sweep's rows at the demo's own rate, and their interval. */
function virtualPoint(sweep: BenchResultRow[], rate: number) {
  const at = (policy: string) => sweep.find((r) => r.policy === policy && r.ratePerS === rate);
  const plain = at("plain");
  const aug = at("augserve");
  if (plain === undefined || aug === undefined) return undefined;
  return { plain, aug, interval: goodputRatioInterval(plain, aug) as RatioInterval };
}

function virtualPointLine(sweep: BenchResultRow[], rate: number): string {
  const point = virtualPoint(sweep, rate);
  if (point === undefined) return "";
  const pct = (r: BenchResultRow) => `${(r.sloAttainment * 100).toFixed(1)}%`;
  return (
    `Virtual time, same runs at ${rate}/s: goodput plain ${point.plain.goodput.toFixed(3)} (${pct(point.plain)} in ` +
    `SLO), augserve ${point.aug.goodput.toFixed(3)} (${pct(point.aug)}): ${formatInterval(point.interval)}.`
  );
}

function sustainableLine(sweep: BenchResultRow[], rate: number): string {
  const sustainable = sustainableRates(sweep);
  const f = (r: number | null | undefined) => (r === null || r === undefined ? "none swept" : `${r}/s`);
  return (
    `Virtual-time sweep of the same workload and profile: sustainable rate (>= 90% in SLO) plain ` +
    `${f(sustainable.get("plain"))}, augserve ${f(sustainable.get("augserve"))}; the demo plays ${rate}/s.`
  );
}

function loadFile(): Record<string, unknown> {
  return JSON.parse(readFileSync(WORKLOAD, "utf8")) as Record<string, unknown>;
}

/** Registers `demo` on the program. */
export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("Live A/B of plain vs augserve with real LangChain agents against the in-process simulator")
    // Defaults live in DemoFlagsSchema (one place); the help text states them.
    .option("--rate <runs/s>", "arrival rate (default 8)")
    .option("--duration <s>", "arrival window, seconds of workload time (default 40)")
    .option("--profile <name>", "simulator profile (default llama3-8b-a10g)")
    .option("--time-scale <x>", "wall time runs x times faster than the workload (default 6)")
    .option("--no-sweep", "skip the virtual-time sweep drawn beside the live point")
    .option("--out <dir>", "where the report goes", "augserve-report")
    .option("--quiet", "no progress bar")
    .action(async (raw: Record<string, unknown>) => {
      const parsed = DemoFlagsSchema.safeParse(raw);
      if (!parsed.success) {
        process.stderr.write(`augserve demo: ${parsed.error.issues.map((i) => i.message).join("; ")}\n`);
        process.exitCode = 2;
        return;
      }
      try {
        process.stdout.write(await runDemo(parsed.data));
      } catch (error) {
        process.stderr.write(`augserve demo: ${(error as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
