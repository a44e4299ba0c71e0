/**
 * Many processes, one budget: a replica's token budget shared through Redis (docs/shared.md).
 */
export { FleetController } from "./controller.js";
export { FleetKeyError, FleetOptionsError } from "./errors.js";
export {
  type FleetMode,
  type FleetStats,
  type LeaseTarget,
  SharedBudget,
  type SharedBudgetDeps,
  type SyncReason,
} from "./lease.js";
export { FleetMetrics, fleetMetrics } from "./metrics.js";
export {
  parseSharedOptions,
  type ResolvedSharedOptions,
  type SharedOptions,
  SharedOptionsSchema,
} from "./options.js";
export { type FleetKeys, fleetKeys } from "./scripts.js";
export {
  createSharedScheduler,
  SharedScheduler,
  type SharedSchedulerDeps,
  type SharedSchedulerOptions,
} from "./shared-scheduler.js";
