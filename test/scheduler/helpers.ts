/** Test helpers: a virtual clock and small builders. */
import { createScheduler, type Scheduler, type SchedulerOptions } from "../../src/scheduler/index.js";
import type { RunFeatures } from "../../src/scheduler/types.js";

export class VirtualClock {
  t = 0;
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export function features(overrides: Partial<RunFeatures> = {}): RunFeatures {
  return {
    promptTokens: 100,
    remainingToolRounds: 0,
    outputTokensPerCall: 100,
    finalOutputTokens: 100,
    ...overrides,
  };
}

export function virtualScheduler(options: SchedulerOptions = {}): {
  scheduler: Scheduler;
  clock: VirtualClock;
} {
  const clock = new VirtualClock();
  return { scheduler: createScheduler(options, { clock }), clock };
}

/** Lets pending promise callbacks run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
