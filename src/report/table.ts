/** The results table: a row group per rate, a row per policy, ratios to `plain`, spreads where `--repeat` gave them. */
import { escapeHtml, formatNumber, formatPercent, formatRate, formatRatio, MISSING } from "./format.js";
import { BASELINE_POLICY, type ReportModel, ratio, resultsAtRate } from "./model.js";
import type { PolicyResult, SpreadMetric } from "./schema.js";

interface Column {
  group: string;
  header: string;
  /** Tooltip of the header: what the figure is. */
  help: string;
  cell: (r: PolicyResult, baseline: PolicyResult | undefined) => string;
  spread?: SpreadMetric;
  /** How the spread's std is written, in the cell's unit. @default formatNumber */
  spreadFormat?: (std: number) => string;
  /** Marks the best value of the rate group in bold: the highest (`max`) or lowest (`min`). */
  best?: { of: (r: PolicyResult) => number | null; is: "max" | "min" };
}

const ms = formatNumber;
/** E2E times are seconds-scale; in ms they would make the table too wide to read. */
const seconds = (v: number | null) => formatNumber(v === null ? null : v / 1000);
const COLUMNS: Column[] = [
  { group: "", header: "Runs", help: "Runs that arrived in the window", cell: (r) => formatNumber(r.runs) },
  {
    group: "Throughput",
    header: "Goodput",
    help: "Runs meeting the SLO per second of arrival window (runs/s)",
    cell: (r) => formatNumber(r.goodput),
    spread: "goodput",
    best: { of: (r) => r.goodput, is: "max" },
  },
  {
    group: "Throughput",
    header: "× plain",
    help: "Goodput relative to the plain policy",
    cell: (r, b) => formatRatio(ratio(r.goodput, b?.goodput)),
  },
  {
    group: "Throughput",
    header: "Done/s",
    help: "Completed runs per second",
    cell: (r) => formatNumber(r.completedPerS),
    spread: "completedPerS",
  },
  {
    group: "Throughput",
    header: "SLO",
    help: "Share of runs meeting the SLO",
    cell: (r) => formatPercent(r.sloAttainment),
    spread: "sloAttainment",
    spreadFormat: formatPercent,
    best: { of: (r) => r.sloAttainment, is: "max" },
  },
  {
    group: "TTFT (ms)",
    header: "mean",
    help: "Mean time to first token of a run",
    cell: (r) => ms(r.ttftMs.mean),
    spread: "ttftMs.mean",
    best: { of: (r) => r.ttftMs.mean, is: "min" },
  },
  {
    group: "TTFT (ms)",
    header: "× plain",
    help: "Mean TTFT relative to the plain policy (lower is better)",
    cell: (r, b) => formatRatio(ratio(r.ttftMs.mean, b?.ttftMs.mean)),
  },
  {
    group: "TTFT (ms)",
    header: "p50",
    help: "Median TTFT",
    cell: (r) => ms(r.ttftMs.p50),
    spread: "ttftMs.p50",
  },
  {
    group: "TTFT (ms)",
    header: "p90",
    help: "90th percentile TTFT",
    cell: (r) => ms(r.ttftMs.p90),
    spread: "ttftMs.p90",
  },
  {
    group: "TTFT (ms)",
    header: "p99",
    help: "99th percentile TTFT",
    cell: (r) => ms(r.ttftMs.p99),
    spread: "ttftMs.p99",
  },
  {
    group: "E2E (s)",
    header: "p50",
    help: "Median end-to-end time of a run",
    cell: (r) => seconds(r.e2eMs.p50),
    spread: "e2eMs.p50",
    spreadFormat: seconds,
  },
  {
    group: "E2E (s)",
    header: "p99",
    help: "99th percentile end-to-end time",
    cell: (r) => seconds(r.e2eMs.p99),
    spread: "e2eMs.p99",
    spreadFormat: seconds,
  },
  { group: "E2E (s)", header: "max", help: "Longest end-to-end time", cell: (r) => seconds(r.e2eMs.max) },
  {
    group: "E2E (s)",
    header: "unfin.",
    help: "Runs not finished when the driver stopped",
    cell: (r) => formatNumber(r.unfinished),
  },
  {
    group: "Norm. lat. (ms/tok)",
    header: "p50",
    help: "(E2E - tool time) / output tokens, median",
    cell: (r) => ms(r.normLatencyMs.p50),
    spread: "normLatencyMs.p50",
  },
  {
    group: "Norm. lat. (ms/tok)",
    header: "p99",
    help: "(E2E - tool time) / output tokens, 99th percentile",
    cell: (r) => ms(r.normLatencyMs.p99),
    spread: "normLatencyMs.p99",
  },
  {
    group: "Queue",
    header: "wait p99",
    help: "99th percentile of a call's wait in the client-side queue (ms)",
    cell: (r) => ms(r.queueWaitMs.p99),
    spread: "queueWaitMs.p99",
  },
  {
    group: "Server",
    header: "busy",
    help: "Share of time the server had work",
    cell: (r) => formatPercent(r.server.busyFraction),
  },
  {
    group: "Server",
    header: "batch",
    help: "Mean running batch size",
    cell: (r) => formatNumber(r.server.meanBatchSize),
  },
  {
    group: "Server",
    header: "KV",
    help: "Mean KV-cache use",
    cell: (r) => formatPercent(r.server.kvUsageMean),
  },
  {
    group: "Server",
    header: "preempt.",
    help: "Preemptions",
    cell: (r) => formatNumber(r.server.preemptions),
  },
];

function headerRows(): string {
  const groups: Array<{ name: string; span: number }> = [];
  for (const c of COLUMNS) {
    const last = groups.at(-1);
    if (last && last.name === c.group) last.span += 1;
    else groups.push({ name: c.group, span: 1 });
  }
  const top = groups
    .map(
      (g) =>
        `<th scope="colgroup" colspan="${g.span}"${g.name === "" ? "" : ' class="group"'}>${g.name}</th>`,
    )
    .join("");
  const sub = COLUMNS.map((c) => `<th scope="col" title="${escapeHtml(c.help)}">${c.header}</th>`).join("");
  return `<tr><th rowspan="2" scope="col" class="policy">Policy</th>${top}</tr><tr>${sub}</tr>`;
}

function bestValue(rows: PolicyResult[], best: NonNullable<Column["best"]>): number | null {
  const values = rows.map(best.of).filter((v): v is number => v !== null);
  if (values.length < 2) return null;
  return best.is === "max" ? Math.max(...values) : Math.min(...values);
}

function row(r: PolicyResult, baseline: PolicyResult | undefined, bests: Array<number | null>): string {
  const cells = COLUMNS.map((c, i) => {
    const spread = c.spread === undefined ? undefined : r.spread?.[c.spread];
    const extra =
      spread === undefined
        ? ""
        : `<span class="spread">± ${(c.spreadFormat ?? formatNumber)(spread.std)}</span>`;
    const isBest = c.best !== undefined && bests[i] !== null && c.best.of(r) === bests[i];
    return `<td${isBest ? ' class="best"' : ""}>${c.cell(r, baseline)}${extra}</td>`;
  }).join("");
  const policy = escapeHtml(r.policy);
  const cls = r.policy === BASELINE_POLICY ? ' class="baseline"' : "";
  return `<tr data-policy="${policy}"${cls}><th scope="row">${policy}</th>${cells}</tr>`;
}

/** The whole results table as HTML. Ratios show "–" at a rate without a `plain` result. */
export function renderResultsTable(model: ReportModel): string {
  const bodies = model.rates.map((rate) => {
    const rows = resultsAtRate(model, rate);
    const baseline = rows.find((r) => r.policy === BASELINE_POLICY);
    const bests = COLUMNS.map((c) => (c.best === undefined ? null : bestValue(rows, c.best)));
    const caption = `<tr class="rate"><th colspan="${COLUMNS.length + 1}" scope="rowgroup">${formatRate(rate)}${
      baseline === undefined
        ? ` <span class="note">(no ${BASELINE_POLICY} result: ratios ${MISSING})</span>`
        : ""
    }</th></tr>`;
    return `<tbody data-rate="${rate}">${caption}${rows.map((r) => row(r, baseline, bests)).join("")}</tbody>`;
  });
  return `<div class="table-wrap"><table class="results"><thead>${headerRows()}</thead>${bodies.join("")}</table></div>`;
}
