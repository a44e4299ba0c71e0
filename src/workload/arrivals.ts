/**
 * Arrival times of an arrival process over a window.
 *
 * - `poisson`: exponential gaps at `ratePerS`.
 * - `bursty`: a Poisson process whose rate is `burstFactor` times higher during the last `burstDurationS` of
 *   every `burstPeriodS` (so the system is warm when a burst hits); the base rate is set so that the mean
 *   over a whole period is `ratePerS`: base = ratePerS * P / (P + (factor - 1) * D). Drawn by thinning.
 * - `trace`: the given offsets.
 */
import type { Rng } from "./rng.js";
import type { Arrival } from "./schema.js";

/** The rate (runs/s) of a bursty process at time `t` (s). */
export function burstyRateAt(arrival: Extract<Arrival, { process: "bursty" }>, t: number): number {
  const { ratePerS, burstFactor, burstPeriodS: p, burstDurationS: d } = arrival;
  const base = (ratePerS * p) / (p + (burstFactor - 1) * d);
  const phase = t - Math.floor(t / p) * p;
  return phase >= p - d ? base * burstFactor : base;
}

/** Sorted arrival offsets in seconds, in [0, durationS). */
export function arrivalTimes(arrival: Arrival, durationS: number, rng: Rng): number[] {
  const out: number[] = [];
  switch (arrival.process) {
    case "poisson":
      for (let t = rng.exponential(arrival.ratePerS); t < durationS; t += rng.exponential(arrival.ratePerS))
        out.push(t);
      return out;
    case "bursty": {
      const peak = burstyRateAt(arrival, arrival.burstPeriodS - arrival.burstDurationS / 2);
      for (let t = rng.exponential(peak); t < durationS; t += rng.exponential(peak))
        if (rng.next() * peak < burstyRateAt(arrival, t)) out.push(t);
      return out;
    }
    case "trace":
      return arrival.offsetsS.filter((t) => t < durationS).sort((a, b) => a - b);
  }
}

/**
 * The process with its mean rate replaced by `ratePerS` (the benchmark's `--rates`). A `trace` process is
 * stretched in time; the returned `durationS` is scaled with it.
 */
export function withRate(
  arrival: Arrival,
  durationS: number,
  ratePerS: number,
): { arrival: Arrival; durationS: number } {
  if (arrival.process !== "trace") return { arrival: { ...arrival, ratePerS }, durationS };
  const recorded = arrival.offsetsS.length / durationS;
  const stretch = recorded / ratePerS;
  return {
    arrival: { process: "trace", offsetsS: arrival.offsetsS.map((t) => t * stretch) },
    durationS: durationS * stretch,
  };
}
