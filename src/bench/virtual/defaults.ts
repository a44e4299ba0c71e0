/**
 * The real engine and scheduler behind `runVirtual`. Until the simulator's engine and the scheduler land on
 * `main`, these throw a clear error; tests pass their own factories.
 */
import type { EngineFactory, SchedulerFactory } from "./engine-port.js";

/** A part the benchmark needs is not available in this build. */
export class BenchPartUnavailableError extends Error {
  override readonly name = "BenchPartUnavailableError";
  readonly part: "engine" | "scheduler";
  constructor(part: "engine" | "scheduler") {
    super(`The ${part} is not available in this build yet (it lands with its own issue).`);
    this.part = part;
  }
}

export const defaultEngineFactory: EngineFactory = () => {
  throw new BenchPartUnavailableError("engine");
};

export const defaultSchedulerFactory: SchedulerFactory = () => {
  throw new BenchPartUnavailableError("scheduler");
};
