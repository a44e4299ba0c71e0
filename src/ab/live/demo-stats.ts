/**
 * The demo's statistics: a bootstrap confidence interval of the goodput ratio between two arms, and the one-line
 * reading the demo prints. Pure functions (seeded), so the demo's words follow from its numbers.
 */
import { mulberry32 } from "../../util/prng.js";
import type { BenchResultRow } from "../results.js";

export interface RatioInterval {
  /** Point estimate: runs meeting the SLO under `b` / under `a` (same runs, same window). */
  ratio: number;
  /** Percentile bootstrap bounds (`level`, two-sided). */
  low: number;
  high: number;
  level: number;
  resamples: number;
}

/** Runs of a row that met the SLO (attainment x runs, rounded: the row keeps the share, not the count). */
export function metRuns(row: Pick<BenchResultRow, "runs" | "sloAttainment">): number {
  return Math.round(row.sloAttainment * row.runs);
}

/**
 * Bootstrap over runs of the goodput ratio b / a. Goodput is (runs meeting the SLO) / window, so resampling a
 * row's runs with replacement is resampling its met/missed indicators: each resample draws every arm's met
 * count as a sum of `runs` Bernoulli draws at its observed share. The arms are resampled independently (they
 * played the same runs, so this is conservative). A resample where `a` met none gives +Infinity.
 *
 * The interval covers the sampling of runs only, not the machine's own noise (another engineer's load, timer
 * lag): say so beside it.
 * @example goodputRatioInterval(plainRow, augserveRow) // { ratio: 2.9, low: 2.1, high: 4.0, ... }
 */
export function goodputRatioInterval(
  a: Pick<BenchResultRow, "runs" | "sloAttainment">,
  b: Pick<BenchResultRow, "runs" | "sloAttainment">,
  options: { resamples?: number; level?: number; seed?: number } = {},
): RatioInterval {
  const { resamples = 2000, level = 0.95, seed = 1 } = options;
  if (!(Number.isInteger(resamples) && resamples >= 10))
    throw new RangeError(`Expected resamples to be an integer >= 10, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`Expected level in (0, 1), got ${level}`);
  const random = mulberry32(seed);
  const draw = (runs: number, share: number) => {
    let met = 0;
    for (let i = 0; i < runs; i++) if (random() < share) met++;
    return met;
  };
  const shareA = a.runs === 0 ? 0 : metRuns(a) / a.runs;
  const shareB = b.runs === 0 ? 0 : metRuns(b) / b.runs;
  const ratios: number[] = [];
  for (let k = 0; k < resamples; k++) {
    const metA = draw(a.runs, shareA);
    const metB = draw(b.runs, shareB);
    ratios.push(metA === 0 ? (metB === 0 ? 1 : Number.POSITIVE_INFINITY) : metB / metA);
  }
  ratios.sort((x, y) => x - y);
  const at = (q: number) => ratios[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))]!;
  const metA = metRuns(a);
  const metB = metRuns(b);
  return {
    ratio: metA === 0 ? (metB === 0 ? 1 : Number.POSITIVE_INFINITY) : metB / metA,
    low: at((1 - level) / 2),
    high: at(1 - (1 - level) / 2),
    level,
    resamples,
  };
}

const x = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}x` : "inf");

/** The interval as printed: `2.90x (95% CI 2.10x-4.00x)`. */
export function formatInterval(i: RatioInterval): string {
  return `${x(i.ratio)} (${Math.round(i.level * 100)}% CI ${x(i.low)}-${x(i.high)})`;
}

export interface ReadingContext {
  /** The live arms were flagged CPU-bound: their latencies are the process's own lag x the time scale. */
  cpuBound?: boolean;
  /** The same runs in virtual time (no client cost), when the demo ran the sweep at its rate. */
  virtual?: RatioInterval;
  /** Runs that met the SLO per arm (to say "none" rather than an infinite ratio). */
  met?: { plain: number; augserve: number };
  /** The demo's target ratio. @default 2 */
  target?: number;
}

/**
 * One honest sentence on the A/B: which arm met the SLO for more runs, by how much, whether that is beyond the
 * sampling noise (the interval excludes 1), whether the target was reached, and, when the live arms were
 * CPU-bound, that the live ratio is no evidence and what virtual time says instead.
 */
export function demoReading(interval: RatioInterval, context: ReadingContext = {}): string {
  const target = context.target ?? 2;
  const ci = formatInterval(interval);
  const virtual =
    context.virtual === undefined
      ? ""
      : ` In virtual time the same runs give ${formatInterval(context.virtual)}.`;
  if (context.cpuBound) {
    return (
      `Reading: the live arms were CPU-bound, so their latencies are mostly this process's own lag (x the time ` +
      `scale) and the live ratio (${ci}) is no evidence either way.${virtual}`
    );
  }
  const { ratio, low, high } = interval;
  const what =
    context.met !== undefined && context.met.plain === 0
      ? `augserve met the SLO for ${context.met.augserve} runs, plain for none`
      : `augserve met the SLO for ${ci} as many runs as plain`;
  if (low > 1) {
    const verdict =
      low >= target
        ? `at least ${target}x even at the interval's low end`
        : ratio >= target
          ? `${target}x or more at the point estimate, but the interval reaches down to ${x(low)}`
          : `short of the ${target}x target`;
    return `Reading: ${what}: beyond the sampling noise, ${verdict}.${virtual}`;
  }
  if (high < 1)
    return `Reading: augserve met the SLO for fewer runs than plain, ${ci}: plain did better here.${virtual}`;
  return `Reading: goodput ratio ${ci}: the interval includes 1, so this run shows no difference beyond the noise.${virtual}`;
}
