/**
 * Plain-text tables of the benchmark: one per rate with a row per policy, ratios to `plain`, and the
 * sustainable rate per policy.
 */
import { type BenchResultRow, SUSTAINABLE_ATTAINMENT, sustainableRates } from "./results.js";

const fmt = (x: number | null, digits = 0) => (x === null || !Number.isFinite(x) ? "-" : x.toFixed(digits));
const ms = (x: number | null) =>
  x === null ? "-" : x >= 10_000 ? `${(x / 1000).toFixed(1)}s` : x.toFixed(0);
const ratio = (x: number | null, base: number | null) =>
  x === null || base === null || base === 0 ? "-" : `${(x / base).toFixed(2)}x`;

/** Renders rows as an aligned text table (first column left-aligned, the rest right-aligned). */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

const HEADER = [
  "policy",
  "goodput/s",
  "vs plain",
  "done/s",
  "SLO %",
  "TTFT mean",
  "vs plain",
  "p50",
  "p90",
  "p99",
  "E2E p50",
  "p99",
  "max",
  "norm p50",
  "p99",
  "qwait p99",
  "busy",
  "batch",
  "KV",
  "preempt",
  "unfin",
];

/** Columns shown when a row had runs refused by overload shedding. */
const SHED_HEADER = ["refused", "refuse p99", "adm SLO %"];

/** The table of one rate; with shed columns when any of its rows refused runs. */
export function rateTable(rows: readonly BenchResultRow[]): string {
  const plain = rows.find((r) => r.policy === "plain");
  const shed = rows.some((r) => (r.refused?.runs ?? 0) > 0);
  return renderTable(
    shed ? [...HEADER, ...SHED_HEADER] : HEADER,
    rows.map((r) => [
      r.policy,
      fmt(r.goodput, 2),
      ratio(r.goodput, plain?.goodput ?? null),
      fmt(r.completedPerS, 2),
      fmt(r.sloAttainment * 100, 1),
      ms(r.ttftMs.mean),
      ratio(r.ttftMs.mean, plain?.ttftMs.mean ?? null),
      ms(r.ttftMs.p50),
      ms(r.ttftMs.p90),
      ms(r.ttftMs.p99),
      ms(r.e2eMs.p50),
      ms(r.e2eMs.p99),
      ms(r.e2eMs.max),
      fmt(r.normLatencyMs.p50, 1),
      fmt(r.normLatencyMs.p99, 1),
      ms(r.queueWaitMs.p99),
      fmt(r.server.busyFraction, 2),
      fmt(r.server.meanBatchSize, 1),
      fmt(r.server.kvUsageMean, 2),
      fmt(r.server.preemptions),
      String(r.unfinished),
      ...(shed
        ? [
            String(r.refused?.runs ?? 0),
            ms(r.refused?.latencyMs.p99 ?? null),
            fmt((r.refused?.admittedAttainment ?? r.sloAttainment) * 100, 1),
          ]
        : []),
    ]),
  );
}

/** `rate 48/s, 300-s window, 14250 runs`: what a rate's goodput is per second of. */
function rateTitle(rows: readonly BenchResultRow[], rate: number): string {
  const first = rows[0];
  const window = first?.windowS === undefined ? "" : `, ${first.windowS}-s window`;
  return `rate ${rate}/s${window}${first ? `, ${first.runs} runs` : ""}`;
}

/**
 * Every rate's table (titled with the arrival window), then the sustainable rates. Times in ms (s when >= 10 s);
 * norm latency in ms/token. TTFT percentiles are over runs that got a first token; refused runs are counted in
 * goodput and SLO % as misses and shown in the shed columns.
 */
export function renderReport(rows: readonly BenchResultRow[]): string {
  const rates = [...new Set(rows.map((r) => r.ratePerS))].sort((a, b) => a - b);
  const parts = rates.map((rate) => {
    const at = rows.filter((r) => r.ratePerS === rate);
    return `${rateTitle(at, rate)}\n${rateTable(at)}`;
  });
  const sustainable = sustainableRates(rows);
  const plainRate = sustainable.get("plain") ?? null;
  parts.push(
    `sustainable rate (highest swept rate with >= ${SUSTAINABLE_ATTAINMENT * 100}% SLO attainment)\n` +
      renderTable(
        ["policy", "rate/s", "vs plain"],
        [...sustainable].map(([policy, rate]) => [
          policy,
          rate === null ? `< ${rates[0]}` : String(rate),
          ratio(rate, plainRate),
        ]),
      ),
  );
  return parts.join("\n\n");
}
