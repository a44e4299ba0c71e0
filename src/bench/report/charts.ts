/**
 * The report's charts as Vega-Lite specs. Data goes in as inline values only (no URLs), and no string from the
 * results file is ever placed in a Vega expression: policy names are data, which Vega escapes in its SVG.
 * A chart whose data the file lacks is `null`; the page shows a note instead.
 */
import type { Config, TopLevelSpec } from "vega-lite";
import { type ReportModel, SUSTAINABLE_ATTAINMENT } from "./model.js";
import type { PolicyResult, SpreadMetric } from "./schema.js";

/** Gray for the baseline, distinct hues for the rest in policy order, so a policy has one colour in every chart. */
const BASELINE_COLOR = "#8a8f98";
const PALETTE = ["#2563eb", "#e4572e", "#16a34a", "#9333ea", "#d97706", "#0891b2", "#db2777", "#78716c"];
/** At most this many timeline samples are drawn (evenly strided); more only bloats the SVG. */
export const MAX_TIMELINE_POINTS = 600;

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
const CONFIG: Config = {
  font: FONT,
  view: { stroke: null },
  axis: { labelColor: "#4b5563", titleColor: "#111827", titleFontWeight: 600, gridColor: "#eceff3" },
  legend: { orient: "bottom", direction: "horizontal", titleFontWeight: 600, labelLimit: 220 },
  line: { strokeWidth: 2 },
  point: { size: 45, filled: true },
};
const WIDTH = 440;
const HEIGHT = 250;
/** The timeline spans the page: about two charts side by side. */
const TIMELINE_WIDTH = 1120;

export function policyColors(policies: readonly string[]): string[] {
  let next = 0;
  return policies.map((p) => (p === "plain" ? BASELINE_COLOR : PALETTE[next++ % PALETTE.length]!));
}

function colorEncoding(model: ReportModel, title = "Policy") {
  return {
    field: "policy",
    type: "nominal" as const,
    title,
    scale: { domain: model.policies, range: policyColors(model.policies) },
  };
}

const rateAxis = { field: "ratePerS", type: "quantitative" as const, title: "Arrival rate (runs/s)" };

/** Goodput (runs/s meeting the SLO) against arrival rate, one line per policy; min-max bars from `--repeat`. */
export function goodputChart(model: ReportModel): TopLevelSpec {
  return perRateChart(model, {
    value: (r) => r.goodput,
    spread: "goodput",
    y: { title: "Goodput (runs/s within SLO)" },
    description: "Goodput against arrival rate, one line per policy",
  });
}

/** SLO attainment against arrival rate, with the 90% line that defines the sustainable rate. */
export function sloChart(model: ReportModel): TopLevelSpec {
  const spec = perRateChart(model, {
    value: (r) => r.sloAttainment,
    spread: "sloAttainment",
    y: { title: "SLO attainment", axis: { format: ".0%" }, scale: { domain: [0, 1] } },
    description: "SLO attainment against arrival rate, one line per policy",
  });
  const threshold = {
    data: { values: [{ y: SUSTAINABLE_ATTAINMENT }] },
    mark: { type: "rule" as const, strokeDash: [4, 4], color: "#9ca3af" },
    encoding: { y: { field: "y", type: "quantitative" as const } },
  };
  return { ...spec, layer: [threshold, ...("layer" in spec ? spec.layer : [])] } as TopLevelSpec;
}

/** Median TTFT against arrival rate on a log axis (the paper's headline latency figure). */
export function ttftP50Chart(model: ReportModel): TopLevelSpec {
  return perRateChart(model, {
    // A log axis cannot show 0 ms; a TTFT under 1 ms is drawn at 1 ms.
    value: (r) => (r.ttftMs.p50 === null ? null : Math.max(r.ttftMs.p50, 1)),
    spread: "ttftMs.p50",
    y: { title: "Median TTFT (ms, log scale)", scale: { type: "log" } },
    description: "Median time to first token against arrival rate, one line per policy",
  });
}

interface PerRateOptions {
  value: (r: PolicyResult) => number | null;
  spread: SpreadMetric;
  y: { title: string; axis?: object; scale?: object };
  description: string;
}

/** One line per policy over the swept rates, points at each rate, and min-max bars where the file has spreads. */
function perRateChart(model: ReportModel, opts: PerRateOptions): TopLevelSpec {
  const values = model.results.results
    .map((r) => ({
      policy: r.policy,
      ratePerS: r.ratePerS,
      value: opts.value(r),
      min: r.spread?.[opts.spread]?.min ?? null,
      max: r.spread?.[opts.spread]?.max ?? null,
    }))
    .filter((v) => v.value !== null);
  const y = { field: "value", type: "quantitative" as const, ...opts.y };
  const layers: object[] = [
    { mark: { type: "line", point: true }, encoding: { x: rateAxis, y, color: colorEncoding(model) } },
  ];
  if (values.some((v) => v.min !== null)) {
    layers.push({
      transform: [{ filter: "datum.min !== null" }],
      mark: { type: "rule", strokeWidth: 1.5 },
      encoding: {
        x: rateAxis,
        y: { field: "min", type: "quantitative" },
        y2: { field: "max" },
        color: colorEncoding(model),
      },
    });
  }
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    description: opts.description,
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    data: { values },
    layer: layers,
  } as TopLevelSpec;
}

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
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
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
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
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
