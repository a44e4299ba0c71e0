/**
 * The HTML report of a benchmark sweep: `renderHtmlReport(results)` and `writeHtmlReport(results, outPath)`, used
 * by `augserve report` and by every bench's `--html OUT`. One self-contained file; charts are Vega-Lite rendered
 * to inline SVG here, in Node, so the page needs no script and no network. See docs/report.md.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import {
  goodputChart,
  rateChartLayout,
  sloChart,
  timelineChart,
  ttftCdfChart,
  ttftP50Chart,
} from "./charts.js";
import { formatRate } from "./format.js";
import { buildReportModel, type ReportModel } from "./model.js";
import { type ChartSlot, renderPage } from "./page.js";
import { parseBenchResults } from "./parse.js";
import type { BenchResultsInput } from "./schema.js";
import { renderSvg } from "./svg.js";
import { renderResultsTable } from "./table.js";

export { BenchResultsError, type BenchResultsProblem, parseBenchResults, readBenchResults } from "./parse.js";
export * from "./schema.js";

export interface ReportOptions {
  /**
   * The time printed as "Report made"; pass a fixed date for reproducible output.
   * @default new Date()
   */
  generatedAt?: Date;
}

/** Where `augserve report` writes when no `--out` is given. */
export const DEFAULT_REPORT_PATH = "augserve-report/index.html";

async function renderCharts(model: ReportModel): Promise<ChartSlot[]> {
  const cdf = ttftCdfChart(model);
  const timeline = timelineChart(model);
  const cdfCaption = model.cdfRate === null ? "at the highest rate" : `at ${formatRate(model.cdfRate)}`;
  const t = model.timeline;
  const timelineCaption =
    t === null ? "of augserve at one rate" : `of ${t.policy} at ${formatRate(t.ratePerS)}`;
  const [goodput, slo, p50, cdfSvg, timelineSvg] = await Promise.all([
    renderSvg(goodputChart(model)),
    renderSvg(sloChart(model)),
    renderSvg(ttftP50Chart(model)),
    cdf === null ? null : renderSvg(cdf),
    timeline === null ? null : renderSvg(timeline),
  ]);
  const layout = rateChartLayout(model);
  const title = (what: string) =>
    layout === "bars" ? `${what} at ${formatRate(model.rates[0]!)}` : `${what} vs arrival rate`;
  const how =
    layout === "overlay"
      ? `dashed: virtual-time sweep (same workload and profile); ◆: ${model.results.mode} points`
      : "";
  const caption = (what: string) => [what, how].filter((s) => s !== "").join("; ");
  return [
    { id: "goodput", title: title("Goodput"), caption: caption("runs/s meeting the SLO"), svg: goodput },
    { id: "slo", title: title("SLO attainment"), caption: caption("dotted: 90% (sustainable)"), svg: slo },
    {
      id: "ttft-p50",
      title: title("Median TTFT"),
      caption: caption(layout === "bars" ? "ms" : "log scale"),
      svg: p50,
    },
    cdfSvg === null
      ? {
          id: "ttft-cdf",
          title: "TTFT distribution",
          caption: cdfCaption,
          missing: "No per-run TTFT samples in this file (results[].ttftCdf).",
        }
      : { id: "ttft-cdf", title: "TTFT distribution", caption: cdfCaption, svg: cdfSvg },
    timelineSvg === null
      ? {
          id: "timeline",
          title: "Scheduler timeline",
          caption: timelineCaption,
          missing: "No scheduler timeline in this file (timelines).",
          wide: true,
        }
      : {
          id: "timeline",
          title: "Scheduler timeline",
          caption: `${timelineCaption}: queued calls, in-flight tokens and token budget`,
          svg: timelineSvg,
          wide: true,
        },
  ];
}

/**
 * Renders the report as one HTML document. Validates `results` first (the bench's in-memory object must match
 * the file format: write `null`, not `NaN`, for a missing statistic).
 * @throws {BenchResultsError} when `results` does not match `BenchResultsSchema`.
 * @example const html = await renderHtmlReport(JSON.parse(await readFile("results.json", "utf8")));
 */
export async function renderHtmlReport(
  results: BenchResultsInput,
  options: ReportOptions = {},
): Promise<string> {
  const model = buildReportModel(parseBenchResults(results));
  const charts = await renderCharts(model);
  return renderPage({
    model,
    charts,
    table: renderResultsTable(model),
    generatedAt: options.generatedAt ?? new Date(),
  });
}

/**
 * Renders the report and writes it to `outPath`, creating missing folders.
 * @returns the absolute path written.
 * @throws {BenchResultsError} when `results` does not match `BenchResultsSchema`.
 * @example await writeHtmlReport(results, "augserve-report/index.html")
 */
export async function writeHtmlReport(
  results: BenchResultsInput,
  outPath: string,
  options: ReportOptions = {},
): Promise<string> {
  const html = await renderHtmlReport(results, options);
  const path = resolve(outPath);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, html, "utf8");
  return path;
}
