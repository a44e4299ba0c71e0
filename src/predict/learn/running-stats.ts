/**
 * Small streaming statistics with JSON state: Welford mean/variance, an exponentially weighted mean and
 * variance, and a bounded integer histogram. Each update is O(1) (histogram: O(1) amortised).
 */

/** Welford's running mean and variance (numerically stable, exact for the whole history). */
export class Welford {
  n = 0;
  mean = 0;
  /** Sum of squared deviations from the mean. */
  m2 = 0;

  add(x: number): void {
    if (!Number.isFinite(x)) return;
    this.n++;
    const delta = x - this.mean;
    this.mean += delta / this.n;
    this.m2 += delta * (x - this.mean);
  }

  /** Sample variance; `fallback` below two observations. */
  variance(fallback: number): number {
    return this.n < 2 ? fallback : this.m2 / (this.n - 1);
  }

  toJSON(): [number, number, number] {
    return [this.n, this.mean, this.m2];
  }

  static from(state: readonly [number, number, number]): Welford {
    const w = new Welford();
    [w.n, w.mean, w.m2] = state;
    return w;
  }
}

/**
 * Exponentially weighted mean and variance (West's incremental form). The weight of a new sample is
 * `max(alpha, 1/n)`: the first samples average plainly, later ones track drift.
 */
export class Ewm {
  n = 0;
  mean = 0;
  variance = 0;

  add(x: number, alpha: number): void {
    if (!Number.isFinite(x)) return;
    this.n++;
    const a = Math.max(alpha, 1 / this.n);
    const delta = x - this.mean;
    this.mean += a * delta;
    this.variance = (1 - a) * (this.variance + a * delta * delta);
  }

  toJSON(): [number, number, number] {
    return [this.n, this.mean, this.variance];
  }

  static from(state: readonly [number, number, number]): Ewm {
    const e = new Ewm();
    [e.n, e.mean, e.variance] = state;
    return e;
  }
}

/** Counts of integers in [min, max]; values outside are clamped into the end bins. */
export class IntHistogram {
  readonly min: number;
  readonly counts: number[];
  total = 0;

  constructor(min: number, max: number) {
    this.min = min;
    this.counts = new Array<number>(max - min + 1).fill(0);
  }

  add(value: number, weight = 1): void {
    if (!Number.isFinite(value)) return;
    const bin = Math.min(this.counts.length - 1, Math.max(0, Math.round(value) - this.min));
    this.counts[bin]! += weight;
    this.total += weight;
  }

  toJSON(): { min: number; counts: number[] } {
    return { min: this.min, counts: this.counts.slice() };
  }

  static from(state: { min: number; counts: readonly number[] }): IntHistogram {
    const h = new IntHistogram(state.min, state.min + state.counts.length - 1);
    for (let i = 0; i < state.counts.length; i++) {
      const c = state.counts[i]!;
      h.counts[i] = c;
      h.total += c;
    }
    return h;
  }
}
