/**
 * Percentiles by linear interpolation between closest ranks (Hyndman & Fan type 7, the default of numpy,
 * R and Excel's PERCENTILE.INC): for sorted values x[0..n-1] and p in [0, 100], h = (n - 1) * p / 100 and
 * the result is x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)]). p0 is the minimum, p100 the
 * maximum. An empty sample gives `null` (no value, rather than a misleading 0).
 */

/** The value at fractional rank `h` (0..n-1) of non-empty ascending `sorted`: the interpolation above. */
function atRank(sorted: readonly number[], h: number): number {
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.ceil(h)] as number;
  return a + (h - lo) * (b - a);
}

/** Percentile `p` (0-100) of `sorted` (ascending). */
export function percentileSorted(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`Expected a percentile in [0, 100], got ${p}`);
  return atRank(sorted, ((sorted.length - 1) * p) / 100);
}

/**
 * Quantile `q` (0..1) of `sorted` (ascending), the same interpolation as {@link percentileSorted}; `NaN` for an
 * empty sample (the A/B report's statistics, and bootstrap bounds, are plain numbers).
 */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return atRank(sorted, (sorted.length - 1) * q);
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
