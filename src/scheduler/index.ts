/**
 * The AugServe scheduler (DESIGN.md section 4): pure, no I/O, no timers, clock injected.
 * See docs/scheduler.md.
 */

export {
  describeIssues,
  describeValue,
  MAX_TIMER_MS,
  type OptionIssue,
  parseWith,
  suggestKey,
} from "../util/validate.js";
export {
  AdaptiveBudget,
  type AdaptiveState,
  adaptiveBudgetStep,
  type BudgetChange,
  type BudgetContext,
  type BudgetController,
  type BudgetSample,
  createBudgetController,
  effectiveTargets,
  FixedBudget,
  initialAdaptiveState,
  type ResolvedAdaptiveOptions,
  resolveAdaptiveTargets,
} from "./budget.js";
export { addTokenLatency, addTtft, type LatencySums } from "./budget-fold.js";
export { createScheduler } from "./create-scheduler.js";
export { type BudgetDemand, emptyDemand } from "./demand.js";
export {
  AugServeOverloadedError,
  CallCancelledError,
  type CancelReason,
  QueueFullError,
  SchedulerInvariantError,
  SchedulerOptionsError,
  UnknownPolicyError,
} from "./errors.js";
export {
  type AdaptiveBudgetOptions,
  AdaptiveBudgetSchema,
  type AugServeWeights,
  AugServeWeightsSchema,
  type BudgetOptions,
  BudgetOptionsSchema,
  type CostModelOptions,
  CostModelSchema,
  type FixedBudgetOptions,
  FixedBudgetSchema,
  parseSchedulerOptions,
  type ResolvedSchedulerOptions,
  type SchedulerOptions,
  SchedulerOptionsSchema,
  SloSchema,
} from "./options.js";
export { createPolicy, type Policy } from "./policies.js";
export { LIVE_POLICY_NAMES, POLICY_NAMES } from "./policy-names.js";
export { Scheduler, type SchedulerDeps } from "./scheduler.js";
export * from "./types.js";
