/**
 * The per-rate charts (goodput, SLO attainment, median TTFT), in the layout that reads best for the file:
 *
 * - **lines** over the swept rates, a point per result, when the file has two or more rates;
 * - **bars**, one per policy with its value printed on it, when it has a single rate (lone dots on an axis with
 *   one tick say nothing);
 * - **overlay** when the file carries a `virtualSweep`: the sweep's curves (dashed) with the measured points on
 *   them as labelled diamonds, so a live point is read against the whole goodput-vs-rate curve.
 *
 * Min-max bars come from `spread` (`--repeat`). No string from the file is placed in a Vega expression.
 */
import type { TopLevelSpec } from "vega-lite";
import {
  CONFIG,
  colorEncoding,
  HEIGHT,
  NUMBER_FORMAT,
  PERCENT_FORMAT,
  PERCENT_LABEL_FORMAT,
  VEGA_LITE_SCHEMA,
  WIDTH,
} from "./chart-style.js";
import { type ReportModel, SUSTAINABLE_ATTAINMENT } from "./model.js";
import { metricValue, type PolicyResult, type SpreadMetric } from "./schema.js";

export type RateChartLayout = "lines" | "bars" | "overlay";

/** Which layout `model` gets (see the module's doc). */
export function rateChartLayout(model: ReportModel): RateChartLayout {
  if (model.sweep !== null) return "overlay";
  return model.rates.length === 1 ? "bars" : "lines";
}

interface Metric {
  /** How the drawn value is read, when not as the figure `spread` names. @default metricValue(r, spread) */
  value?: (r: PolicyResult) => number | null;
  /** The figure drawn (unless `value` says otherwise) and the one whose min-max bars `--repeat` gives. */
  spread: SpreadMetric;
  title: string;
  /** d3 format of the axis and of the printed values. */
  axisFormat: string;
  labelFormat: string;
  /** A fixed domain (attainment: 0..1). */
  domain?: [number, number];
  /** Log axis in the lines and overlay layouts (bars always start at zero). */
  log?: boolean;
  /** A horizontal reference line (the 90% of a sustainable rate). */
  threshold?: number;
  description: string;
}

/** Goodput (runs/s meeting the SLO) per policy and rate. */
export function goodputChart(model: ReportModel): TopLevelSpec {
  return rateChart(model, {
    spread: "goodput",
    title: "Goodput (runs/s within SLO)",
    axisFormat: NUMBER_FORMAT,
    labelFormat: NUMBER_FORMAT,
    description: "Goodput per policy and arrival rate",
  });
}

/** SLO attainment per policy and rate, with the 90% line that defines the sustainable rate. */
export function sloChart(model: ReportModel): TopLevelSpec {
  return rateChart(model, {
    spread: "sloAttainment",
    title: "SLO attainment",
    axisFormat: PERCENT_FORMAT,
    labelFormat: PERCENT_LABEL_FORMAT,
    domain: [0, 1],
    threshold: SUSTAINABLE_ATTAINMENT,
    description: "SLO attainment per policy and arrival rate",
  });
}

/** Median TTFT per policy and rate (log axis over rates: the paper's headline latency figure). */
export function ttftP50Chart(model: ReportModel): TopLevelSpec {
  return rateChart(model, {
    // A log axis cannot show 0 ms; a TTFT under 1 ms is drawn at 1 ms.
    value: (r) => (r.ttftMs.p50 === null ? null : Math.max(r.ttftMs.p50, 1)),
    spread: "ttftMs.p50",
    title: "Median TTFT (ms)",
    axisFormat: ",~r",
    labelFormat: ",.0f",
    log: true,
    description: "Median time to first token per policy and arrival rate",
  });
}

interface Datum {
  policy: string;
  ratePerS: number;
  value: number;
  min: number | null;
  max: number | null;
}

function data(results: PolicyResult[], metric: Metric): Datum[] {
  return results.flatMap((r) => {
    const value = metric.value === undefined ? metricValue(r, metric.spread) : metric.value(r);
    if (value === null) return [];
    const spread = r.spread?.[metric.spread];
    return [
      { policy: r.policy, ratePerS: r.ratePerS, value, min: spread?.min ?? null, max: spread?.max ?? null },
    ];
  });
}

function rateChart(model: ReportModel, metric: Metric): TopLevelSpec {
  const layout = rateChartLayout(model);
  const measured = data(model.results.results, metric);
  const layers =
    layout === "bars"
      ? barLayers(model, metric, measured)
      : layout === "lines"
        ? lineLayers(model, metric, measured)
        : overlayLayers(model, metric, measured, data(model.sweep ?? [], metric));
  if (metric.threshold !== undefined) {
    layers.unshift({
      data: { values: [{ y: metric.threshold }] },
      mark: { type: "rule", strokeDash: [2, 3], color: "#6b7280" },
      encoding: { y: { field: "y", type: "quantitative" } },
    });
  }
  return {
    $schema: VEGA_LITE_SCHEMA,
    description: metric.description,
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    layer: layers,
  } as TopLevelSpec;
}

const rateAxis = {
  field: "ratePerS",
  type: "quantitative" as const,
  title: "Arrival rate (runs/s)",
  axis: { format: NUMBER_FORMAT },
};

function yEncoding(metric: Metric, field: string, log: boolean) {
  const scale =
    metric.domain !== undefined ? { domain: metric.domain } : log ? { type: "log" } : { zero: true };
  const title = log ? `${metric.title.replace(")", ", log scale)")}` : metric.title;
  return { field, type: "quantitative" as const, title, axis: { format: metric.axisFormat }, scale };
}

function spreadLayer(model: ReportModel, values: Datum[], x: object, legend = true): object[] {
  const withSpread = values.filter((v) => v.min !== null);
  if (withSpread.length === 0) return [];
  return [
    {
      data: { values: withSpread },
      mark: { type: "rule", strokeWidth: 1.5 },
      encoding: {
        x,
        y: { field: "min", type: "quantitative" },
        y2: { field: "max" },
        // The same colour encoding as the marks' (a legend of its own would be merged into theirs).
        color: colorEncoding(model, "Policy", legend),
      },
    },
  ];
}

function lineLayers(model: ReportModel, metric: Metric, values: Datum[]): object[] {
  return [
    {
      data: { values },
      mark: { type: "line", point: true },
      encoding: {
        x: rateAxis,
        y: yEncoding(metric, "value", metric.log ?? false),
        color: colorEncoding(model),
      },
    },
    ...spreadLayer(model, values, rateAxis),
  ];
}

/** One bar per policy (the file's only rate), its value printed above it. */
function barLayers(model: ReportModel, metric: Metric, values: Datum[]): object[] {
  const rate = model.rates[0]!;
  const x = {
    field: "policy",
    type: "nominal" as const,
    sort: model.policies,
    title: `Policy, at ${rate.toLocaleString("en-US", { maximumFractionDigits: 3 })} runs/s`,
    axis: { labelAngle: 0 },
  };
  const y = yEncoding(metric, "value", false);
  return [
    {
      data: { values },
      mark: { type: "bar", width: { band: 0.6 }, cornerRadiusEnd: 2 },
      encoding: { x, y, color: colorEncoding(model, "Policy", false) },
    },
    {
      data: { values },
      mark: { type: "text", dy: -6, baseline: "bottom", fontWeight: 600, color: "#111827" },
      encoding: { x, y, text: { field: "value", type: "quantitative", format: metric.labelFormat } },
    },
    ...spreadLayer(model, values, x, false).map((l) => ({
      ...l,
      mark: { type: "rule", strokeWidth: 1.5, color: "#111827" },
    })),
  ];
}

/** The virtual sweep's curves (dashed), and the measured points on them as labelled diamonds. */
function overlayLayers(model: ReportModel, metric: Metric, measured: Datum[], sweep: Datum[]): object[] {
  const log = metric.log ?? false;
  const y = yEncoding(metric, "value", log);
  return [
    {
      data: { values: sweep },
      mark: { type: "line", strokeDash: [5, 3], opacity: 0.7, point: { size: 18, opacity: 0.7 } },
      encoding: { x: rateAxis, y, color: colorEncoding(model) },
    },
    ...spreadLayer(model, measured, rateAxis),
    {
      data: { values: measured },
      mark: { type: "point", shape: "diamond", size: 150, filled: true, stroke: "#111827", strokeWidth: 1 },
      encoding: { x: rateAxis, y, color: colorEncoding(model) },
    },
    {
      data: { values: measured },
      mark: { type: "text", align: "left", dx: 9, fontWeight: 600, color: "#111827" },
      encoding: {
        x: rateAxis,
        y,
        text: { field: "value", type: "quantitative", format: metric.labelFormat },
      },
    },
  ];
}
