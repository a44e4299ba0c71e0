/**
 * The real parts behind `runVirtual`: the simulator's `Engine` (a fresh one per call). The scheduler lands
 * on `main` with its own issue; until then the scheduler's policies throw a clear error (tests pass their own
 * factories) while `plain` and `fcfs-window` run.
 */
import { Engine } from "../../sim/index.js";
import type { EngineFactory, SchedulerFactory } from "./engine-port.js";

/** A part the benchmark needs is not available in this build. */
export class BenchPartUnavailableError extends Error {
  override readonly name = "BenchPartUnavailableError";
  readonly part: "engine" | "scheduler";
  constructor(part: "engine" | "scheduler") {
    super(
      `The ${part} is not available in this build yet (it lands with its own issue); policies plain and fcfs-window run without it.`,
    );
    this.part = part;
  }
}

export const defaultEngineFactory: EngineFactory = ({ profile, schedulingPolicy }) =>
  new Engine({ profile, schedulingPolicy });

export const defaultSchedulerFactory: SchedulerFactory = () => {
  throw new BenchPartUnavailableError("scheduler");
};
