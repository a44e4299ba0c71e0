/**
 * Percentiles by linear interpolation between closest ranks (Hyndman & Fan type 7, the default of numpy,
 * R and Excel's PERCENTILE.INC): for sorted values x[0..n-1] and p in [0, 100], h = (n - 1) * p / 100 and
 * the result is x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)]). p0 is the minimum, p100 the
 * maximum. An empty sample gives `null` (no value, rather than a misleading 0).
 */

/** Percentile `p` (0-100) of `sorted` (ascending). */
export function percentileSorted(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`Expected a percentile in [0, 100], got ${p}`);
  const h = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return a + (h - lo) * (b - a);
}

/** Percentile `p` (0-100) of `values` (any order; not modified). */
export function percentile(values: readonly number[], p: number): number | null {
  return percentileSorted(
    [...values].sort((a, b) => a - b),
    p,
  );
}

/** Arithmetic mean, or `null` for an empty sample. */
export function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
