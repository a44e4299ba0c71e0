import type { SchedulerOptions } from "./options.js";
import { Scheduler, type SchedulerDeps } from "./scheduler.js";

/**
 * Creates a scheduler. The clock defaults to `performance.now()`; inject one for tests and virtual time.
 * @throws SchedulerOptionsError naming the invalid field.
 * @example const scheduler = createScheduler({ policy: "augserve", maxWaitMs: 20_000 });
 */
export function createScheduler(options?: SchedulerOptions, deps?: Partial<SchedulerDeps>): Scheduler {
  return new Scheduler(options, {
    clock: deps?.clock ?? { now: () => performance.now() },
    ...(deps?.budget ? { budget: deps.budget } : {}),
  });
}
