/**
 * Small statistics for the A/B report: a seeded PRNG and bootstrap confidence intervals of a difference of
 * means (quantiles are metrics'). Bootstrap rather than a normal approximation because latencies are heavy-tailed.
 */
import { mean as meanOrNull, quantileSorted } from "../metrics/index.js";
import { mulberry32 } from "../util/prng.js";

/** Arithmetic mean; NaN when empty (metrics' `mean`, as a plain number for the report). */
export function mean(values: readonly number[]): number {
  return meanOrNull(values) ?? Number.NaN;
}

/** A seeded PRNG (mulberry32), so that reports are reproducible. */
export const seededRandom = mulberry32;

/** FNV-1a of a string, as a fraction in [0, 1): the sticky A/B assignment hash. */
export function hashUnit(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // A final avalanche, so that keys differing in one trailing character spread over [0, 1).
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return (hash >>> 0) / 4294967296;
}

/** A confidence interval. */
export interface Interval {
  low: number;
  high: number;
}

function resampleMean(values: readonly number[], random: () => number): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[Math.floor(random() * values.length)]!;
  return sum / values.length;
}

/**
 * Percentile-bootstrap confidence interval of `mean(b) - mean(a)`.
 * NaN bounds when either sample is empty.
 */
export function bootstrapMeanDiff(
  a: readonly number[],
  b: readonly number[],
  options: { confidence?: number; resamples?: number; seed?: number } = {},
): Interval {
  if (a.length === 0 || b.length === 0) return { low: Number.NaN, high: Number.NaN };
  const resamples = options.resamples ?? 1000;
  const alpha = (1 - (options.confidence ?? 0.95)) / 2;
  const random = seededRandom(options.seed ?? 1);
  const diffs: number[] = new Array(resamples);
  for (let i = 0; i < resamples; i++) diffs[i] = resampleMean(b, random) - resampleMean(a, random);
  diffs.sort((x, y) => x - y);
  return { low: quantileSorted(diffs, alpha), high: quantileSorted(diffs, 1 - alpha) };
}

/** Percentile-bootstrap confidence interval of one sample's mean. */
export function bootstrapMean(values: readonly number[], seed = 1, resamples = 1000): Interval {
  if (values.length === 0) return { low: Number.NaN, high: Number.NaN };
  const random = seededRandom(seed);
  const means: number[] = new Array(resamples);
  for (let i = 0; i < resamples; i++) means[i] = resampleMean(values, random);
  means.sort((x, y) => x - y);
  return { low: quantileSorted(means, 0.025), high: quantileSorted(means, 0.975) };
}
