/**
 * The process-wide scheduler and predictor, created lazily on first use and shared by every agent that
 * uses the middleware without passing its own: one GPU server, one budget, one queue.
 */
import { createPredictor } from "../predict/predictor.js";
import type { Predictor } from "../predict/types.js";
import type { SchedulerApi } from "../scheduler/types.js";

let scheduler: SchedulerApi | undefined;
let predictor: Predictor | undefined;

/** Thrown while no scheduler implementation is available to create the process-wide one. */
export class NoSchedulerError extends Error {
  override readonly name = "NoSchedulerError";
  constructor() {
    super("No process-wide scheduler: pass `scheduler` (e.g. from createScheduler()) in the options");
  }
}

/** The process-wide scheduler. */
export function defaultScheduler(): SchedulerApi {
  if (scheduler === undefined) throw new NoSchedulerError();
  return scheduler;
}

/** The process-wide predictor. */
export function defaultPredictor(): Predictor {
  predictor ??= createPredictor();
  return predictor;
}
