/** The results table: a row group per rate, a row per policy, ratios to `plain`, spreads where `--repeat` gave them. */
import { escapeHtml, formatNumber, formatPercent, formatRate, formatRatio, MISSING } from "./format.js";
import { BASELINE_POLICY, type ReportModel, ratio, resultsAtRate } from "./model.js";
import { metricValue, type PolicyResult, type SpreadMetric } from "./schema.js";

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

/** The columns of one group, `group` stated once. */
function group(name: string, columns: Array<Omit<Column, "group">>): Column[] {
  return columns.map((c) => ({ group: name, ...c }));
}

/**
 * A column of a figure `--repeat` may give a spread of: the cell reads `metric` from the result, and the cell
 * and its `± std` are both written with `format`.
 */
function measured(
  header: string,
  help: string,
  metric: SpreadMetric,
  { format = formatNumber, best }: { format?: (v: number | null) => string; best?: "max" | "min" } = {},
): Omit<Column, "group"> {
  const of = (r: PolicyResult) => metricValue(r, metric);
  return {
    header,
    help,
    cell: (r) => format(of(r)),
    spread: metric,
    spreadFormat: format,
    ...(best === undefined ? {} : { best: { of, is: best } }),
  };
}

/** The "× plain" column: the figure `of` reads, relative to the baseline's. */
function relativeToPlain(help: string, of: (r: PolicyResult) => number | null): Omit<Column, "group"> {
  return {
    header: "× plain",
    help,
    cell: (r, b) => formatRatio(ratio(of(r), b === undefined ? undefined : of(b))),
  };
}

/** E2E times are seconds-scale; in ms they would make the table too wide to read. */
const seconds = (v: number | null) => formatNumber(v === null ? null : v / 1000);
const COLUMNS: Column[] = [
  { group: "", header: "Runs", help: "Runs that arrived in the window", cell: (r) => formatNumber(r.runs) },
  ...group("Throughput", [
    measured("Goodput", "Runs meeting the SLO per second of arrival window (runs/s)", "goodput", {
      best: "max",
    }),
    relativeToPlain("Goodput relative to the plain policy", (r) => r.goodput),
    measured("Done/s", "Completed runs per second", "completedPerS"),
    measured("SLO", "Share of runs meeting the SLO", "sloAttainment", { format: formatPercent, best: "max" }),
  ]),
  ...group("TTFT (ms)", [
    measured("mean", "Mean time to first token of a run", "ttftMs.mean", { best: "min" }),
    relativeToPlain("Mean TTFT relative to the plain policy (lower is better)", (r) => r.ttftMs.mean),
    measured("p50", "Median TTFT", "ttftMs.p50"),
    measured("p90", "90th percentile TTFT", "ttftMs.p90"),
    measured("p99", "99th percentile TTFT", "ttftMs.p99"),
  ]),
  ...group("E2E (s)", [
    measured("p50", "Median end-to-end time of a run", "e2eMs.p50", { format: seconds }),
    measured("p99", "99th percentile end-to-end time", "e2eMs.p99", { format: seconds }),
    { header: "max", help: "Longest end-to-end time", cell: (r) => seconds(r.e2eMs.max) },
    {
      header: "unfin.",
      help: "Runs not finished when the driver stopped",
      cell: (r) => formatNumber(r.unfinished),
    },
  ]),
  ...group("Norm. lat. (ms/tok)", [
    measured("p50", "(E2E - tool time) / output tokens, median", "normLatencyMs.p50"),
    measured("p99", "(E2E - tool time) / output tokens, 99th percentile", "normLatencyMs.p99"),
  ]),
  ...group("Queue", [
    measured("wait p99", "99th percentile of a call's wait in the client-side queue (ms)", "queueWaitMs.p99"),
  ]),
  ...group("Server", [
    {
      header: "busy",
      help: "Share of time the server had work",
      cell: (r) => formatPercent(r.server.busyFraction),
    },
    { header: "batch", help: "Mean running batch size", cell: (r) => formatNumber(r.server.meanBatchSize) },
    { header: "KV", help: "Mean KV-cache use", cell: (r) => formatPercent(r.server.kvUsageMean) },
    { header: "preempt.", help: "Preemptions", cell: (r) => formatNumber(r.server.preemptions) },
  ]),
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
