import { mulberry32 } from "../util/prng.js";

/**
 * A small seeded pseudo-random generator (mulberry32) and the draws the workload generator needs.
 *
 * Why not `Math.random`: every policy must see the identical runs for a given seed, on every machine.
 * mulberry32 has a 2^32 period, passes the usual statistical batteries for this use, and is 6 lines.
 */
export class Rng {
  /** Uniform in [0, 1). */
  readonly next: () => number;

  /** @param seed any finite number; its low 32 bits seed the generator. */
  constructor(seed: number) {
    this.next = mulberry32((Math.trunc(seed) ^ 0x9e3779b9) >>> 0);
  }

  /** Integer uniform in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    const lo = Math.ceil(Math.min(min, max));
    const hi = Math.floor(Math.max(min, max));
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Standard normal draw (Box-Muller; the second value is discarded to keep the stream simple). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]: log(0) never happens
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Exponential draw with the given rate (> 0). */
  exponential(rate: number): number {
    return -Math.log(1 - this.next()) / rate;
  }

  /** Gamma(shape, 1) draw (Marsaglia-Tsang; shape < 1 boosted by U^(1/shape)). */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * this.next() ** (1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = this.normal();
      const v = (1 + c * x) ** 3;
      if (v <= 0) continue;
      const u = this.next();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  }

  /** One element of a non-empty array. */
  pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.next() * values.length)] as T;
  }

  /** Index drawn with probability proportional to `weights` (non-negative, not all zero). */
  weighted(weights: readonly number[]): number {
    const total = weights.reduce((a, b) => a + b, 0);
    let at = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      at -= weights[i] ?? 0;
      if (at < 0) return i;
    }
    return weights.length - 1;
  }

  /** A derived generator, so that adding draws in one place does not shift the stream of another. */
  fork(label: number): Rng {
    return new Rng(Math.imul((this.next() * 4_294_967_296) >>> 0, 31) ^ label);
  }
}

/** A stable 32-bit hash of a string (FNV-1a), to derive per-name seeds. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
