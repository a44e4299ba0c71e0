/**
 * A weighted histogram of per-token gaps (ms/token) for the budget law: a quantile of the recent gaps without
 * keeping the samples (the law decays the weights once per decision, an exponential window). Log-spaced
 * buckets, 16 per octave (~4.4% wide, a fifth of the law's 20% dead band), from 1/16 ms to about 17 minutes.
 * Adding a sample is O(1) and allocates nothing, since the controller takes one sample per token report; a
 * quantile scans the buckets once per decision.
 *
 * Why a quantile and not the mean: a step-based server (vLLM, SGLang) runs a prefill chunk inside some steps,
 * and every running stream waits for that step. The token-weighted mean of the gaps counts each such stall in
 * full; the median is the decode step's time, which grows with the batch the budget sizes (docs/scheduler.md,
 * "What the law misread on small GPUs").
 */

const PER_OCTAVE = 16;
const MIN_MS = 1 / 16;
const OCTAVES = 24;
const BUCKETS = PER_OCTAVE * OCTAVES;

/** Bucket of a gap (0 for anything at or under `MIN_MS`, the last for anything beyond the range). */
function bucketOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  const b = Math.floor(Math.log2(ms / MIN_MS) * PER_OCTAVE);
  return b >= BUCKETS ? BUCKETS - 1 : b;
}

/** Geometric middle of a bucket, ms. */
function middleOf(bucket: number): number {
  return MIN_MS * 2 ** ((bucket + 0.5) / PER_OCTAVE);
}

export class GapHistogram {
  readonly #weights = new Float64Array(BUCKETS);
  #total = 0;

  /** Total weight (tokens) added since the last {@link clear}. */
  get total(): number {
    return this.#total;
  }

  /** Adds `weight` tokens at `msPerToken`. Non-finite or negative inputs are ignored. */
  add(msPerToken: number, weight: number): void {
    if (!(msPerToken >= 0) || !Number.isFinite(msPerToken) || !(weight > 0) || !Number.isFinite(weight))
      return;
    const b = bucketOf(msPerToken);
    this.#weights[b] = (this.#weights[b] as number) + weight;
    this.#total += weight;
  }

  /**
   * The weighted `q`-quantile (0 < q <= 1), as the geometric middle of its bucket (within ~2.2% of the true
   * value); `null` when empty.
   */
  quantile(q: number): number | null {
    if (this.#total <= 0) return null;
    const rank = q * this.#total;
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.#weights[b] as number;
      if (seen >= rank && seen > 0) return middleOf(b);
    }
    return middleOf(BUCKETS - 1);
  }

  /** Multiplies every weight by `factor` (0..1): an exponential window over the decisions. */
  decay(factor: number): void {
    if (factor <= 0) {
      this.clear();
      return;
    }
    for (let b = 0; b < BUCKETS; b++) this.#weights[b] = (this.#weights[b] as number) * factor;
    this.#total *= factor;
  }

  clear(): void {
    this.#weights.fill(0);
    this.#total = 0;
  }

  /** A copy (for the controller's state snapshots). */
  clone(): GapHistogram {
    const copy = new GapHistogram();
    copy.#weights.set(this.#weights);
    copy.#total = this.#total;
    return copy;
  }
}
