/**
 * `createSharedScheduler`: with the `shared` option, the scheduler of `src/scheduler/` (pure, synchronous) over a
 * {@link SharedBudget} that leases the replica's global budget from Redis; without it, the plain
 * `createScheduler` of `src/scheduler/`. This lives here, not in `src/scheduler/`, so that the scheduler imports
 * no I/O.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { parseSchedulerOptions, type SchedulerOptions } from "../scheduler/options.js";
import { Scheduler, type SchedulerDeps } from "../scheduler/scheduler.js";
import type { Clock } from "../scheduler/types.js";
import { FleetOptionsError } from "./errors.js";
import { type FleetStats, SharedBudget } from "./lease.js";
import { fleetMetrics } from "./metrics.js";
import { parseSharedOptions, type SharedOptions } from "./options.js";
import { FleetRedis } from "./redis.js";
import { fleetKeys } from "./scripts.js";

/** Options of {@link createSharedScheduler}: the scheduler's, plus `shared` for a budget shared through Redis. */
export type SharedSchedulerOptions = SchedulerOptions & {
  /** Lease the replica's global budget from Redis instead of owning one (docs/shared.md). */
  shared?: SharedOptions;
};

/** What {@link createSharedScheduler} is given besides its options. */
export interface SharedSchedulerDeps extends Partial<SchedulerDeps> {
  /** Wall ms per scheduler-clock ms (a time-scaled clock runs faster than the wall): paces fleet decisions. @default 1 */
  wallPerClockMs?: number;
}

/** A scheduler whose budget is leased from the fleet's Redis. */
export class SharedScheduler extends Scheduler {
  /** The lease on the replica's global budget. */
  readonly fleet: SharedBudget;

  constructor(options: SchedulerOptions | undefined, deps: SchedulerDeps & { budget: SharedBudget }) {
    super(options, deps);
    this.fleet = deps.budget;
    this.fleet.attach(this);
    this.fleet.start();
  }

  /** The fleet member's state and counters. */
  fleetStats(): FleetStats {
    return this.fleet.stats();
  }

  /** Returns the lease to the fleet and closes the Redis connections; the scheduler keeps its local share. */
  close(): Promise<void> {
    return this.fleet.close();
  }
}

/**
 * Creates a scheduler. With `shared`, its budget is the replica's global budget leased from Redis (call
 * `await scheduler.close()` when done); without, the scheduler's own. The clock defaults to `performance.now()`.
 * @throws SchedulerOptionsError or FleetOptionsError naming the invalid field.
 * @example
 * const scheduler = createSharedScheduler({ policy: "augserve", shared: { redis: "redis://127.0.0.1:6379", key: "augserve:prod" } });
 */
export function createSharedScheduler(
  options?: SchedulerOptions & { shared?: undefined },
  deps?: SharedSchedulerDeps,
): Scheduler;
export function createSharedScheduler(
  options: SchedulerOptions & { shared: SharedOptions },
  deps?: SharedSchedulerDeps,
): SharedScheduler;
export function createSharedScheduler(
  options?: SharedSchedulerOptions,
  deps?: SharedSchedulerDeps,
): Scheduler | SharedScheduler;
export function createSharedScheduler(
  options?: SharedSchedulerOptions,
  deps?: SharedSchedulerDeps,
): Scheduler {
  const clock: Clock = deps?.clock ?? { now: () => performance.now() };
  const { shared, ...schedulerOptions } = options ?? {};
  if (shared === undefined) {
    return new Scheduler(schedulerOptions, { clock, ...(deps?.budget ? { budget: deps.budget } : {}) });
  }
  if (deps?.budget) {
    throw new FleetOptionsError(
      "shared",
      ["shared: a shared budget and a custom `budget` controller exclude each other"],
      null,
    );
  }
  const resolved = parseSchedulerOptions(schedulerOptions);
  const o = parseSharedOptions(shared);
  const opts = { ...o, processId: o.processId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}` };
  const redis = new FleetRedis(o.redis, fleetKeys(o.key, o.replica), o.commandTimeoutMs);
  const budget = new SharedBudget(opts, resolved.budget, resolved.slo, {
    redis,
    clock,
    metrics: fleetMetrics(o.registry),
    ...(deps?.wallPerClockMs !== undefined ? { wallPerClockMs: deps.wallPerClockMs } : {}),
  });
  return new SharedScheduler(schedulerOptions, { clock, budget });
}
