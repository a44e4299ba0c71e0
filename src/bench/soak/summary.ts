/**
 * `bench:soak` figures across repeats: per arm the median and the spread (min..max) of its single-arm phases'
 * figures, the runs/s ratio of the mixed phases (both arms side by side), and the derived shares of heap
 * growth per run: the middleware's own (augserve arm without its run records, minus the plain arm) and its
 * records' (kept for `report()` by design, up to a cap).
 */
import type { PhaseResult, SoakArm } from "./phase.js";

export interface Spread {
  median: number;
  min: number;
  max: number;
}

function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0] ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN };
}

export interface ArmSummary {
  /** Single-arm phases. */
  phases: number;
  runs: number;
  failed: number;
  runsPerSecond: Spread;
  heapGrowthPerRunBytes: Spread;
  heapGrowthPerRunWithoutRecordsBytes: Spread;
  loopDelayP99Ms: Spread;
  loopDelayMaxMs: Spread;
}

export interface SoakSummary {
  arms: Record<SoakArm, ArmSummary>;
  /** Mixed phases (both arms side by side): augserve runs/s over plain runs/s, per phase. */
  mixedRunsPerSecondRatio: Spread;
  mixedRuns: Record<SoakArm, number>;
  mixedFailed: Record<SoakArm, number>;
  /** Heap growth per run the middleware keeps beyond plain LangChain, records excluded (medians), bytes. */
  middlewareOwnBytesPerRun: number;
  /** Heap per run held by the run records kept for `report()` (medians), bytes. */
  recordsBytesPerRun: number;
}

function arm(name: SoakArm, phases: readonly PhaseResult[]): ArmSummary {
  const mine = phases.filter((p) => p.kind === name);
  const of = (p: PhaseResult) => p.arms[name] ?? { runs: 0, failed: 0, runsPerSecond: 0 };
  return {
    phases: mine.length,
    runs: mine.reduce((n, p) => n + of(p).runs, 0),
    failed: mine.reduce((n, p) => n + of(p).failed, 0),
    runsPerSecond: spread(mine.map((p) => of(p).runsPerSecond)),
    heapGrowthPerRunBytes: spread(mine.map((p) => p.heapGrowthPerRunBytes)),
    heapGrowthPerRunWithoutRecordsBytes: spread(mine.map((p) => p.heapGrowthPerRunWithoutRecordsBytes)),
    loopDelayP99Ms: spread(mine.map((p) => p.loopDelayMs.p99)),
    loopDelayMaxMs: spread(mine.map((p) => p.loopDelayMs.max)),
  };
}

export function summarizeSoak(phases: readonly PhaseResult[]): SoakSummary {
  const plain = arm("plain", phases);
  const augserve = arm("augserve", phases);
  const mixed = phases.filter((p) => p.kind === "mixed");
  const sum = (name: SoakArm, field: "runs" | "failed") =>
    mixed.reduce((n, p) => n + (p.arms[name]?.[field] ?? 0), 0);
  return {
    arms: { plain, augserve },
    mixedRunsPerSecondRatio: spread(
      mixed.map((p) => (p.arms.augserve?.runsPerSecond ?? 0) / (p.arms.plain?.runsPerSecond ?? Number.NaN)),
    ),
    mixedRuns: { plain: sum("plain", "runs"), augserve: sum("augserve", "runs") },
    mixedFailed: { plain: sum("plain", "failed"), augserve: sum("augserve", "failed") },
    middlewareOwnBytesPerRun:
      augserve.heapGrowthPerRunWithoutRecordsBytes.median - plain.heapGrowthPerRunBytes.median,
    recordsBytesPerRun:
      augserve.heapGrowthPerRunBytes.median - augserve.heapGrowthPerRunWithoutRecordsBytes.median,
  };
}

const f = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");
const s = (x: Spread, digits = 1) => `${f(x.median, digits)} (${f(x.min, digits)}..${f(x.max, digits)})`;

/** The text report: one row per arm (median, min..max over phases), the derived shares, the end state. */
export function formatSoak(result: {
  options: { concurrency: number; seconds: number; repeats: number; timeScale: number };
  summary: SoakSummary;
  scheduler: Record<string, unknown>;
}): string {
  const { options: o, summary } = result;
  const lines = [
    `bench:soak: ${o.concurrency} concurrent agent runs, ${o.repeats} x ${o.seconds} s per arm, simulator x${o.timeScale} in a child process`,
    "single-arm phases, median (min..max) over phases",
    "arm       runs  failed  runs/s               heap B/run            heap B/run w/o records  loop p99 ms       loop max ms",
  ];
  for (const name of ["plain", "augserve"] as const) {
    const a = summary.arms[name];
    lines.push(
      [
        name.padEnd(8),
        String(a.runs).padStart(5),
        String(a.failed).padStart(7),
        `  ${s(a.runsPerSecond).padEnd(20)}`,
        ` ${s(a.heapGrowthPerRunBytes, 0).padEnd(21)}`,
        ` ${s(a.heapGrowthPerRunWithoutRecordsBytes, 0).padEnd(23)}`,
        ` ${s(a.loopDelayP99Ms).padEnd(17)}`,
        ` ${s(a.loopDelayMaxMs)}`,
      ].join(""),
    );
  }
  lines.push(
    `side by side (mixed phases, ${o.concurrency / 2} users per arm): runs ${summary.mixedRuns.plain} plain / ${summary.mixedRuns.augserve} augserve, failed ${summary.mixedFailed.plain} / ${summary.mixedFailed.augserve}`,
    `  augserve / plain runs/s: ${s(summary.mixedRunsPerSecondRatio, 3)}`,
    `heap per run, the middleware's own share (augserve w/o records - plain): ${f(summary.middlewareOwnBytesPerRun, 0)} B`,
    `heap per run, run records kept for report() (by design, at most 100,000): ${f(summary.recordsBytesPerRun, 0)} B`,
    `scheduler at the end: ${JSON.stringify(result.scheduler)}`,
  );
  return `${lines.join("\n")}\n`;
}
