/**
 * AugServe.js: the AugServe scheduler for tool-using LangChain.js agents on self-hosted GPU servers.
 * The public API is re-exported from here as each part lands.
 */

export * from "./backend/index.js";
export * from "./fleet/index.js";
export * from "./gateway/index.js";
export * from "./langchain/index.js";
export * from "./predict/index.js";
export {
  AdaptiveBudget,
  AugServeOverloadedError,
  adaptiveBudgetStep,
  type BudgetController,
  type BudgetSample,
  CallCancelledError,
  FixedBudget,
  QueueFullError,
  Scheduler,
  type SchedulerDeps,
  type SchedulerOptions,
  SchedulerOptionsError,
  SchedulerOptionsSchema,
  UnknownPolicyError,
} from "./scheduler/index.js";
export * from "./scheduler/types.js";
export * from "./sim/index.js";
