/**
 * Time-scale adapters. With a time scale T the workload runs T times faster than its own time, so that a long
 * workload fits in a short wall time. The scheduler must nevertheless reason in the workload's (unscaled) ms,
 * exactly as in virtual mode: its SLO, budget-controller periods, starvation bound and cost model are all
 * in ms. So it gets a clock that runs T times faster than the wall clock, and the predictor learns tool
 * latencies (measured by the middleware in wall ms) multiplied by T.
 */
import type { PredictionContext, Predictor, RunObservation, RunPrediction } from "../../predict/types.js";
import type { Clock } from "../../scheduler/types.js";

/** `performance.now()` x `timeScale`: unscaled ms. */
export function scaledClock(timeScale: number): Clock {
  return { now: () => performance.now() * timeScale };
}

/** Delegates to `inner`, converting the middleware's wall-ms tool latencies to unscaled ms. */
export class ScaledPredictor implements Predictor {
  readonly #inner: Predictor;
  readonly #timeScale: number;

  constructor(inner: Predictor, timeScale: number) {
    this.#inner = inner;
    this.#timeScale = timeScale;
  }

  predict(context: PredictionContext): RunPrediction {
    return this.#inner.predict(context);
  }

  learnRun(context: PredictionContext, observation: RunObservation): void {
    this.#inner.learnRun(context, observation);
  }

  learnToolLatency(tool: string, latencyMs: number): void {
    this.#inner.learnToolLatency(tool, latencyMs * this.#timeScale);
  }
}
