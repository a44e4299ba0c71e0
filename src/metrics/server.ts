/**
 * Server-side metrics from engine steps: busy fraction, mean batch size, mean KV use, preemptions.
 */

/** What the accumulator needs of one engine step (a subset of the simulator's `StepOutcome`). */
export interface StepSample {
  durationMs: number;
  batchSize: number;
  preempted: readonly string[];
}

/** Server metrics over a horizon. */
export interface ServerSummary {
  /** Share of the horizon the server spent in steps, 0..1. */
  busyFraction: number;
  /** Mean sequences per step (step-weighted), 0 when no step ran. */
  meanBatchSize: number;
  /** Time-weighted mean KV-cache use over the horizon, 0..1 (the value after a step holds until the next). */
  kvUsageMean: number;
  preemptions: number;
}

/** Accumulates engine steps in time order. */
export class ServerMetrics {
  #steps = 0;
  #busyMs = 0;
  #batchSum = 0;
  #preemptions = 0;
  #kvIntegral = 0;
  #kvLast = 0;
  #kvSince = 0;

  /**
   * Record a step that started at `startMs`, and the KV use the server reports after it.
   * Steps must be recorded in time order.
   */
  record(startMs: number, step: StepSample, kvUsageAfter: number): void {
    const endMs = startMs + step.durationMs;
    this.#kvIntegral += this.#kvLast * Math.max(0, endMs - this.#kvSince);
    this.#kvLast = kvUsageAfter;
    this.#kvSince = endMs;
    this.#steps += 1;
    this.#busyMs += step.durationMs;
    this.#batchSum += step.batchSize;
    this.#preemptions += step.preempted.length;
  }

  /** The summary over `[0, horizonMs]`. */
  summary(horizonMs: number): ServerSummary {
    const horizon = Math.max(horizonMs, this.#kvSince, 1e-9);
    const kv = this.#kvIntegral + this.#kvLast * Math.max(0, horizon - this.#kvSince);
    return {
      busyFraction: Math.min(1, this.#busyMs / horizon),
      meanBatchSize: this.#steps === 0 ? 0 : this.#batchSum / this.#steps,
      kvUsageMean: kv / horizon,
      preemptions: this.#preemptions,
    };
  }
}
