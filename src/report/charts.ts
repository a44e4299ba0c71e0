/**
 * The report's charts as Vega-Lite specs (the per-rate ones are in rate-charts.ts). Data goes in as inline values only (no URLs), and no string from the
 * results file is ever placed in a Vega expression: policy names are data, which Vega escapes in its SVG.
 * A chart whose data the file lacks is `null`; the page shows a note instead.
 */
import type { TopLevelSpec } from "vega-lite";
import { CONFIG, colorEncoding, HEIGHT, VEGA_LITE_SCHEMA, WIDTH } from "./chart-style.js";
import type { ReportModel } from "./model.js";

export { policyColors } from "./chart-style.js";
export { goodputChart, rateChartLayout, sloChart, ttftP50Chart } from "./rate-charts.js";

/** At most this many timeline samples are drawn (evenly strided); more only bloats the SVG. */
export const MAX_TIMELINE_POINTS = 600;
/** The timeline spans the page: about two charts side by side. */
const TIMELINE_WIDTH = 1120;

/** Cumulative distribution of TTFT at `model.cdfRate`, one step line per policy; `null` without samples. */
export function ttftCdfChart(model: ReportModel): TopLevelSpec | null {
  if (model.cdfRate === null) return null;
  const values = model.results.results
    .filter((r) => r.ratePerS === model.cdfRate && r.ttftCdf !== undefined)
    // A log axis cannot show 0 ms; a TTFT under 1 ms is drawn at 1 ms.
    .flatMap((r) =>
      r.ttftCdf!.map(([ms, fraction]) => ({ policy: r.policy, ms: Math.max(ms, 1), fraction })),
    );
  return {
    $schema: VEGA_LITE_SCHEMA,
    description: "Cumulative distribution of time to first token at the highest rate, one line per policy",
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    data: { values },
    mark: { type: "line", interpolate: "step-after" },
    encoding: {
      x: { field: "ms", type: "quantitative", title: "TTFT (ms, log scale)", scale: { type: "log" } },
      y: {
        field: "fraction",
        type: "quantitative",
        title: "Share of runs",
        axis: { format: ".0%" },
        scale: { domain: [0, 1] },
      },
      color: colorEncoding(model),
    },
  } as TopLevelSpec;
}

const SERIES_DOMAIN = ["inFlightTokens", "budgetTokens"];
const SERIES = {
  field: "series",
  type: "nominal" as const,
  title: null,
  legend: {
    labelExpr: "datum.value === 'inFlightTokens' ? 'In-flight tokens' : 'Token budget'",
    orient: "top" as const,
    direction: "horizontal" as const,
  },
};

/**
 * The scheduler over time at one rate: in-flight tokens against the budget (top) and queued calls (bottom),
 * sharing the time axis; `null` without a timeline.
 */
export function timelineChart(model: ReportModel): TopLevelSpec | null {
  const timeline = model.timeline;
  if (timeline === null) return null;
  const stride = Math.ceil(timeline.points.length / MAX_TIMELINE_POINTS);
  const points = timeline.points.filter((_, i) => i % stride === 0);
  const values = points.map((p) => ({ t: p.tMs / 1000, ...p }));
  const x = {
    field: "t",
    type: "quantitative" as const,
    title: "Time since start of window (s)",
    scale: { nice: false },
  };
  const width = TIMELINE_WIDTH;
  return {
    $schema: VEGA_LITE_SCHEMA,
    description: "Queue length, in-flight tokens and token budget over time",
    config: CONFIG,
    data: { values },
    vconcat: [
      {
        width,
        height: 200,
        transform: [{ fold: ["inFlightTokens", "budgetTokens"], as: ["series", "tokens"] }],
        mark: { type: "line", interpolate: "step-after" },
        encoding: {
          x: { ...x, title: null },
          y: { field: "tokens", type: "quantitative", title: "Tokens" },
          color: { ...SERIES, scale: { domain: SERIES_DOMAIN, range: ["#2563eb", "#e4572e"] } },
          // Same field and legend as colour, so Vega-Lite merges them into one legend showing both.
          strokeDash: {
            ...SERIES,
            scale: {
              domain: SERIES_DOMAIN,
              range: [
                [1, 0],
                [6, 3],
              ],
            },
          },
        },
      },
      {
        width,
        height: 110,
        mark: { type: "area", interpolate: "step-after", color: "#16a34a", opacity: 0.35, line: true },
        encoding: { x, y: { field: "queued", type: "quantitative", title: "Queued calls" } },
      },
    ],
  } as TopLevelSpec;
}
