/**
 * `augserve demo` (`npm run demo`): a short live A/B of `plain` vs `augserve` with real LangChain agents over
 * HTTP against the in-process simulator, on `workloads/infercept-mix.json`; prints the comparison with ratios
 * and writes `augserve-report/index.html` and `augserve-report/results.json`.
 *
 * Only the rate, the arrival window and the time scale are chosen here (the workload, its SLO and the
 * simulator are as shipped): see docs/live.md for why these values, and what the machine can carry.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { z } from "zod";
import { lagWarning } from "../bench/live/cli.js";
import { runLiveSweep } from "../bench/live/sweep.js";
import { createProgress } from "../bench/progress.js";
import { writeHtmlReport } from "../bench/report/index.js";
import type { BenchResultRow } from "../bench/results.js";
import { renderTable } from "../bench/table.js";

const WORKLOAD = resolve(dirname(fileURLToPath(import.meta.url)), "../../workloads/infercept-mix.json");

const positive = (what: string) =>
  z.coerce.number({ error: `expected ${what}` }).positive(`expected ${what} > 0`);

/** The demo's flags; the defaults are the demo. */
export const DemoFlagsSchema = z.object({
  /** Arrival rate, runs/s. */
  rate: positive("--rate").default(0.5),
  /** Arrival window, s of workload time. */
  duration: positive("--duration").default(60),
  /** Wall time runs this many times faster than the workload. */
  timeScale: positive("--time-scale").default(4),
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
  let progress = createProgress(0, { quiet: true });
  const warnings: string[] = [];
  const started = performance.now();
  const report = await runLiveSweep({
    workload: { ...loadFile(), durationS: flags.duration },
    policies: ["plain", "augserve"],
    rates: [flags.rate],
    timeScale: flags.timeScale,
    onTotal: (total) => {
      progress = createProgress(total, { quiet: flags.quiet });
    },
    onProgress: (delta, label) => progress.tick(delta, label),
    onPoint: (point) => {
      if (point.load.cpuBound) warnings.push(lagWarning(point, flags.timeScale));
    },
  }).finally(() => progress.stop());
  const out = resolve(flags.out);
  mkdirSync(out, { recursive: true });
  const jsonPath = resolve(out, "results.json");
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  const htmlPath = await writeHtmlReport(report, resolve(out, "index.html"));
  const [plain, aug] = report.results as [BenchResultRow, BenchResultRow];
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  return (
    `AugServe demo: ${report.workload}, ${flags.rate} runs/s for ${flags.duration} s of arrivals, ` +
    `live LangChain agents against the simulator (${report.profile}), time scale ${flags.timeScale}; ` +
    `times in unscaled ms, took ${seconds} s\n\n${demoTable(plain, aug)}\n\n${warnings.join("")}` +
    `report:  ${htmlPath}\nresults: ${jsonPath}\n`
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
    .option("--rate <runs/s>", "arrival rate", "0.5")
    .option("--duration <s>", "arrival window, seconds of workload time", "60")
    .option("--time-scale <x>", "wall time runs x times faster than the workload", "4")
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
