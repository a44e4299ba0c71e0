/** Escaping and number formatting for the HTML report. Every string from a results file goes through `escapeHtml`. */

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** Placeholder for a figure the file does not have. */
export const MISSING = "–";

/** A number with about three significant digits, thousands grouped: 0.0123, 4.56, 78.9, 1,234. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return MISSING;
  const abs = Math.abs(value);
  const digits = abs === 0 || abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString("en-US", { minimumFractionDigits: 0, maximumFractionDigits: digits });
}

/** A 0..1 fraction as a percentage with one decimal: `0.953` -> `95.3%`. */
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return MISSING;
  return `${(value * 100).toFixed(1)}%`;
}

/** A ratio to the baseline: `4.7×`, `0.12×`. */
export function formatRatio(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return MISSING;
  return `${formatNumber(value)}×`;
}

/** A rate in runs/s: `2 runs/s`, `0.5 runs/s`. */
export function formatRate(rate: number): string {
  return `${formatNumber(rate)} runs/s`;
}
