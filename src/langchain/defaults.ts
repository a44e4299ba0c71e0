/**
 * The process-wide scheduler and predictor, created lazily on first use and shared by every agent that
 * uses the middleware without passing its own: one GPU server, one budget, one queue.
 */
import { createPredictor } from "../predict/predictor.js";
import type { Predictor } from "../predict/types.js";
import { createScheduler } from "../scheduler/create-scheduler.js";
import type { SchedulerApi } from "../scheduler/types.js";

let scheduler: SchedulerApi | undefined;
let predictor: Predictor | undefined;

/**
 * The process-wide scheduler, created on first use with `createScheduler()`'s defaults (policy
 * `augserve`, adaptive budget). Every `augserve()` / `withAugServe()` without a `scheduler` option shares it.
 */
export function defaultScheduler(): SchedulerApi {
  scheduler ??= createScheduler();
  return scheduler;
}

/** The process-wide predictor (`createPredictor()`), shared like the scheduler. */
export function defaultPredictor(): Predictor {
  predictor ??= createPredictor();
  return predictor;
}
