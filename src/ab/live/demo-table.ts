/**
 * The demo's text: the three-arm table (plain, augserve with `overload: "queue"`, with `"shed"`), live beside
 * virtual time, the goodput ratios with their bootstrap intervals, and a one-line reading. Pure: every word
 * follows from the rows.
 */
import type { BenchResultRow } from "../results.js";
import { renderTable } from "../table.js";
import { demoReading, formatInterval, goodputRatioInterval, metRuns } from "./demo-stats.js";

const ms = (x: number | null | undefined) =>
  x === null || x === undefined ? "-" : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(0)} ms`;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** Live goodput relative to virtual, as printed (`+4%`); `-` when virtual met none. */
export function liveVsVirtual(live: number, virtual: number): string {
  if (virtual === 0) return live === 0 ? "0%" : "-";
  const d = live / virtual - 1;
  return `${d >= 0 ? "+" : ""}${(d * 100).toFixed(0)}%`;
}

/** Column headers of the arms: what a reader configures. */
const HEADERS: Record<string, string> = {
  plain: "plain",
  augserve: 'augserve, overload "queue"',
  "augserve-shed": 'augserve, overload "shed"',
};

/**
 * One row per metric, one column per arm. TTFT is over the runs that were served (got a first token); refused
 * runs are counted apart with the time it took to refuse them (arrival to error).
 */
export function demoArmsTable(live: readonly BenchResultRow[], virtual: readonly BenchResultRow[]): string {
  const cell = (f: (live: BenchResultRow, virtual: BenchResultRow | undefined) => string) =>
    live.map((row) =>
      f(
        row,
        virtual.find((v) => v.policy === row.policy),
      ),
    );
  const rows: string[][] = [
    ["goodput, runs/s in SLO (live)", ...cell((l) => l.goodput.toFixed(3))],
    ["goodput in virtual time, same runs", ...cell((_, v) => (v === undefined ? "-" : v.goodput.toFixed(3)))],
    ["live vs virtual", ...cell((l, v) => (v === undefined ? "-" : liveVsVirtual(l.goodput, v.goodput)))],
    ["SLO attainment", ...cell((l) => `${pct(l.sloAttainment)} (${metRuns(l)} of ${l.runs})`)],
    ["TTFT p50, served runs", ...cell((l) => ms(l.ttftMs.p50))],
    ["TTFT p99, served runs", ...cell((l) => ms(l.ttftMs.p99))],
    ["TTFT mean, served runs", ...cell((l) => ms(l.ttftMs.mean))],
    ["refused (shed)", ...cell((l) => String(l.refused?.runs ?? 0))],
    [
      "refusal latency p50 / p99",
      ...cell((l) =>
        (l.refused?.runs ?? 0) === 0
          ? "-"
          : `${ms(l.refused?.latencyMs.p50)} / ${ms(l.refused?.latencyMs.p99)}`,
      ),
    ],
    ["E2E p50", ...cell((l) => ms(l.e2eMs.p50))],
    ["unfinished at the horizon", ...cell((l) => String(l.unfinished))],
  ];
  return renderTable(["metric", ...live.map((r) => HEADERS[r.policy] ?? r.policy)], rows);
}

/** Ratio lines: each augserve arm's goodput over plain's, live and virtual, with their intervals. */
export function ratioLines(live: readonly BenchResultRow[], virtual: readonly BenchResultRow[]): string[] {
  const plain = live.find((r) => r.policy === "plain");
  const vPlain = virtual.find((r) => r.policy === "plain");
  if (plain === undefined) return [];
  return live
    .filter((r) => r.policy !== "plain")
    .map((r) => {
      const v = virtual.find((x) => x.policy === r.policy);
      const virtualPart =
        v === undefined || vPlain === undefined
          ? ""
          : `; virtual ${formatInterval(goodputRatioInterval(vPlain, v))}`;
      return `goodput ${r.policy} / plain: live ${formatInterval(goodputRatioInterval(plain, r))}${virtualPart}`;
    });
}

/** The reading of the `queue` arm against plain (the headline), with the virtual interval beside it. */
export function armsReading(
  live: readonly BenchResultRow[],
  virtual: readonly BenchResultRow[],
  cpuBound: boolean,
): string {
  const plain = live.find((r) => r.policy === "plain");
  const aug = live.find((r) => r.policy === "augserve");
  if (plain === undefined || aug === undefined) return "";
  const vPlain = virtual.find((r) => r.policy === "plain");
  const vAug = virtual.find((r) => r.policy === "augserve");
  return demoReading(goodputRatioInterval(plain, aug), {
    cpuBound,
    met: { plain: metRuns(plain), augserve: metRuns(aug) },
    ...(vPlain === undefined || vAug === undefined ? {} : { virtual: goodputRatioInterval(vPlain, vAug) }),
  });
}

/** Which mode suits which app, from the rows: printed under the table. */
export function modeAdvice(live: readonly BenchResultRow[]): string {
  const queue = live.find((r) => r.policy === "augserve");
  const shed = live.find((r) => r.policy === "augserve-shed");
  if (queue === undefined || shed === undefined) return "";
  const refusedRuns = shed.refused?.runs ?? 0;
  const shedNow =
    refusedRuns === 0
      ? "it refused no run here (nothing to refuse at this load)"
      : `${refusedRuns} refused here, p50 ${ms(shed.refused?.latencyMs.p50)}; the runs it served: TTFT mean ` +
        `${ms(shed.ttftMs.mean)}`;
  return (
    `Which mode: "queue" serves every run and maximises goodput (${queue.goodput.toFixed(3)} runs/s here); runs ` +
    `that cannot make their SLO wait behind those that can (TTFT mean ${ms(queue.ttftMs.mean)}, p99 ` +
    `${ms(queue.ttftMs.p99)}): batch jobs, pipelines. "shed" refuses at once a run that cannot start in time ` +
    `(${shedNow}): chatbots, where "busy, try again" beats a minute of silence.`
  );
}
