/**
 * `--repeat K`: the A/B's direction with an interval over the repeats. Every repeat plays the same runs (one
 * seed) under every policy, so the repeats pair up: per repeat, the ratio and the difference of a metric between
 * a policy and the baseline (the first policy, usually `plain`); over the K repeats, their mean with a two-sided
 * 95% Student-t interval. Unlike the demo's bootstrap over runs (`goodputRatioInterval`), this interval covers
 * the machine's own noise too (another process's load, the engine's speed on a shared core), because each
 * repeat is a separate wall-clock run. Pure functions.
 */
import type { BenchResultRow } from "../results.js";

/** The metrics compared per repeat: goodput (higher is better) and mean TTFT (lower is better). */
export const COMPARED_METRICS = ["goodput", "ttftMs.mean"] as const;
export type ComparedMetric = (typeof COMPARED_METRICS)[number];

/** Mean and two-sided 95% Student-t interval of a sample; `null` bounds with fewer than 2 values. */
export interface MeanInterval {
  mean: number | null;
  low: number | null;
  high: number | null;
  /** Values that entered (a ratio over a zero baseline does not). */
  n: number;
}

export interface PairedComparison {
  ratePerS: number;
  baseline: string;
  policy: string;
  metric: ComparedMetric;
  /** Per repeat, in seed order: the two arms' values (null when the run had none). */
  repeats: Array<{ baseline: number | null; policy: number | null }>;
  /** policy / baseline per repeat, averaged: > 1 means the policy's metric was higher. */
  ratio: MeanInterval;
  /** policy - baseline per repeat, averaged (in the metric's unit). */
  difference: MeanInterval;
  level: 0.95;
}

/** Student t quantiles at 0.975 for 1..30 degrees of freedom (two-sided 95%). */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** The 0.975 quantile of Student's t with `df` degrees of freedom (table to 30, then 1.96 + 2.4/df). */
export function tQuantile975(df: number): number {
  if (!(Number.isInteger(df) && df >= 1))
    throw new RangeError(`Expected df to be an integer >= 1, got ${df}`);
  // Beyond 30, 1.96 + 2.4/df is within 0.002 of t(0.975) (the first term of its expansion in 1/df).
  return T975[df - 1] ?? 1.96 + 2.4 / df;
}

/** Mean with its 95% t interval (finite values only). */
export function meanInterval(values: readonly (number | null)[]): MeanInterval {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { mean: null, low: null, high: null, n };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, low: null, high: null, n };
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  const half = tQuantile975(n - 1) * (sd / Math.sqrt(n));
  return { mean, low: mean - half, high: mean + half, n };
}

function read(row: BenchResultRow, metric: ComparedMetric): number | null {
  return metric === "goodput" ? row.goodput : row.ttftMs.mean;
}

/**
 * One comparison per (policy other than `baseline`, metric) at one rate, from the per-repeat rows of each
 * policy (same length and seed order). Empty when the baseline is missing or there are fewer than 2 repeats.
 * @example compareRepeats(2, new Map([["plain", plainRows], ["augserve", augRows]]))[0].ratio // { mean: 1.3, low: 1.1, ... }
 */
export function compareRepeats(
  ratePerS: number,
  rowsByPolicy: ReadonlyMap<string, readonly BenchResultRow[]>,
  baseline = "plain",
): PairedComparison[] {
  const base = rowsByPolicy.get(baseline);
  if (base === undefined || base.length < 2) return [];
  const out: PairedComparison[] = [];
  for (const [policy, rows] of rowsByPolicy) {
    if (policy === baseline) continue;
    if (rows.length !== base.length)
      throw new RangeError(
        `Expected ${base.length} repeats of ${policy} at ${ratePerS}/s, got ${rows.length}`,
      );
    for (const metric of COMPARED_METRICS) {
      const repeats = rows.map((row, k) => ({
        baseline: read(base[k] as BenchResultRow, metric),
        policy: read(row, metric),
      }));
      const paired = repeats.filter(
        (r): r is { baseline: number; policy: number } => r.baseline !== null && r.policy !== null,
      );
      out.push({
        ratePerS,
        baseline,
        policy,
        metric,
        repeats,
        ratio: meanInterval(paired.map((r) => (r.baseline === 0 ? null : r.policy / r.baseline))),
        difference: meanInterval(paired.map((r) => r.policy - r.baseline)),
        level: 0.95,
      });
    }
  }
  return out;
}

const num = (x: number | null, digits: number) => (x === null ? "-" : x.toFixed(digits));

/**
 * What the repeats say, read from the difference's interval (it keeps every repeat; the ratio drops those
 * whose baseline is 0): "higher"/"lower" when it excludes 0, "no difference beyond the noise" otherwise.
 */
export function direction(c: PairedComparison): string {
  const { low, high } = c.difference;
  if (low === null || high === null) return "too few repeats for an interval";
  if (low > 0) return `${c.policy} higher, beyond the noise`;
  if (high < 0) return `${c.policy} lower, beyond the noise`;
  return "no difference beyond the noise (the difference's interval includes 0)";
}

/** The comparisons as text lines for the CLI: one line per (rate, policy, metric). */
export function renderComparisons(comparisons: readonly PairedComparison[]): string {
  if (comparisons.length === 0) return "";
  const lines = comparisons.map((c) => {
    const digits = c.metric === "goodput" ? 3 : 0;
    const per = c.repeats.map((r) => `${num(r.policy, digits)}/${num(r.baseline, digits)}`).join(", ");
    const ratio = `${num(c.ratio.mean, 2)}x [${num(c.ratio.low, 2)} to ${num(c.ratio.high, 2)}]`;
    const diff = `${num(c.difference.mean, digits)} [${num(c.difference.low, digits)} to ${num(c.difference.high, digits)}]`;
    return (
      `  ${c.ratePerS}/s ${c.metric}: ${c.policy}/${c.baseline} ${ratio}, difference ${diff} (n=${c.ratio.n}): ` +
      `${direction(c)}; per repeat ${c.policy}/${c.baseline}: ${per}`
    );
  });
  return (
    "\nPaired over the repeats (same runs per repeat; mean ratio and difference with a 95% t interval, which " +
    `covers the machine's noise between repeats):\n${lines.join("\n")}\n`
  );
}
