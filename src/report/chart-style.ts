/** The look shared by every chart of the report: colours per policy, fonts, sizes, number formats. */
import type { Config } from "vega-lite";
import type { ReportModel } from "./model.js";

export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** Gray for the baseline, distinct hues for the rest in policy order, so a policy has one colour in every chart. */
const BASELINE_COLOR = "#8a8f98";
const PALETTE = ["#2563eb", "#e4572e", "#16a34a", "#9333ea", "#d97706", "#0891b2", "#db2777", "#78716c"];

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
export const CONFIG: Config = {
  font: FONT,
  view: { stroke: null },
  axis: { labelColor: "#4b5563", titleColor: "#111827", titleFontWeight: 600, gridColor: "#eceff3" },
  legend: { orient: "bottom", direction: "horizontal", titleFontWeight: 600, labelLimit: 220 },
  line: { strokeWidth: 2 },
  point: { size: 45, filled: true },
};
export const WIDTH = 440;
export const HEIGHT = 250;

/**
 * d3-format specifiers that never print float noise: `~` trims trailing zeros, so a tick or label at 0.5 reads
 * `0.5`, not `0.500000`, and at most three significant digits are shown.
 */
export const NUMBER_FORMAT = ",.3~r";
export const PERCENT_FORMAT = ".0%";
/** Bar and point labels of attainment keep one decimal, as the table does. */
export const PERCENT_LABEL_FORMAT = ".1~%";

export function policyColors(policies: readonly string[]): string[] {
  let next = 0;
  return policies.map((p) => (p === "plain" ? BASELINE_COLOR : PALETTE[next++ % PALETTE.length]!));
}

export function colorEncoding(model: ReportModel, title: string | null = "Policy", legend = true) {
  return {
    field: "policy",
    type: "nominal" as const,
    title,
    scale: { domain: model.policies, range: policyColors(model.policies) },
    ...(legend ? {} : { legend: null }),
  };
}
