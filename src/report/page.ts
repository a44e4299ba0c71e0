/**
 * The report page: setup, headline, charts and table in one self-contained HTML document. The Content-Security-
 * Policy forbids every fetch and every script, so the file opens offline and injected markup could not run.
 */
import { escapeHtml, formatNumber, formatRate, MISSING } from "./format.js";
import { BASELINE_POLICY, type ReportModel, SUSTAINABLE_ATTAINMENT } from "./model.js";
import { REPORT_CSS } from "./style.js";

/** A rendered chart, or the reason it is missing. */
export type ChartSlot =
  | { id: string; title: string; caption: string; svg: string; wide?: boolean }
  | { id: string; title: string; caption: string; missing: string; wide?: boolean };

export interface PageParts {
  model: ReportModel;
  charts: ChartSlot[];
  table: string;
  generatedAt: Date;
}

function formatDate(iso: string | undefined): string {
  if (iso === undefined) return "not recorded";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return escapeHtml(iso);
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function setupSection(model: ReportModel, generatedAt: Date): string {
  const { results } = model;
  const setup = results.setup;
  const items: Array<[string, string]> = [
    ["Workload", escapeHtml(results.workload)],
    ["Mode", results.mode === "virtual" ? "virtual time (simulated engine)" : "live (real agents over HTTP)"],
  ];
  if (results.profile !== undefined) items.push(["Profile", escapeHtml(results.profile)]);
  if (setup?.backend !== undefined) items.push(["Server", escapeHtml(setup.backend)]);
  items.push(["Policies", model.policies.map((p) => `<code>${escapeHtml(p)}</code>`).join(" ")]);
  items.push(["Rates", `${model.rates.map(formatNumber).join(", ")} runs/s`]);
  if (setup?.slo !== undefined) {
    items.push([
      "SLO",
      `TTFT ≤ ${formatNumber(setup.slo.ttftMs)} ms and ≤ ${formatNumber(setup.slo.normLatencyMsPerToken)} ms/token`,
    ]);
  }
  if (setup?.seed !== undefined) items.push(["Seed", String(setup.seed)]);
  if (setup?.repeat !== undefined)
    items.push(["Repeats", `${setup.repeat} per point (± is the std. deviation)`]);
  items.push(["Run on", formatDate(setup?.date)]);
  items.push(["Report made", formatDate(generatedAt.toISOString())]);
  const rows = items.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join("");
  return `<section id="setup"><h2>Setup</h2><dl class="setup">${rows}</dl></section>`;
}

function headline(model: ReportModel): string {
  const base = model.sustainableRate.get(BASELINE_POLICY) ?? null;
  const cards = model.policies.map((policy) => {
    const rate = model.sustainableRate.get(policy) ?? null;
    const rel =
      policy !== BASELINE_POLICY && rate !== null && base !== null && base > 0
        ? `<span class="rel">${formatNumber(rate / base)}× plain</span>`
        : "";
    const value = rate === null ? `<span class="value none">none swept</span>` : formatRate(rate);
    return `<div class="card" data-policy="${escapeHtml(policy)}"><span class="name">${escapeHtml(policy)}</span><span class="value">${value}</span>${rel}</div>`;
  });
  const from =
    model.sustainableFrom === "virtualSweep"
      ? ` in the virtual-time sweep of the same workload and profile (${model.sweep?.length ?? 0} points)`
      : "";
  return `<section id="headline"><h2>Sustainable rate</h2><p class="lead">Highest swept arrival rate at which at least ${
    SUSTAINABLE_ATTAINMENT * 100
  }% of runs met the SLO${from}.</p><div class="cards">${cards.join("")}</div></section>`;
}

function chartFigure(chart: ChartSlot): string {
  const body = "svg" in chart ? chart.svg : `<p class="missing">${escapeHtml(chart.missing)}</p>`;
  const cls = `chart${chart.wide ? " wide" : ""}${"svg" in chart ? "" : " empty"}`;
  return `<figure class="${cls}" data-chart="${chart.id}"><figcaption><strong>${escapeHtml(
    chart.title,
  )}</strong> <span>${escapeHtml(chart.caption)}</span></figcaption>${body}</figure>`;
}

/** The complete HTML document. Every string from the results file has been escaped by the caller or here. */
export function renderPage(parts: PageParts): string {
  const { model } = parts;
  const title = `AugServe report: ${escapeHtml(model.results.workload)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="augserve report">
<title>${title}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header><h1>${title}</h1><p>AugServe scheduler benchmark · ${
    model.results.mode === "virtual" ? "virtual time" : "live"
  } · ${model.results.results.length} points</p></header>
<main>
${setupSection(model, parts.generatedAt)}
${headline(model)}
<section id="charts"><h2>Charts</h2><div class="charts">${parts.charts.map(chartFigure).join("\n")}</div></section>
<section id="results"><h2>Results</h2><p class="lead">Per arrival rate, one row per policy. Ratios are to <code>${BASELINE_POLICY}</code> at the same rate; bold marks the best value at that rate; ${MISSING} marks a figure the file does not have. Hover a column header for its definition.</p>${parts.table}</section>
</main>
<footer>Metrics as defined in AugServe.js DESIGN.md §5. Goodput = runs meeting the SLO / arrival window.</footer>
</body>
</html>
`;
}
