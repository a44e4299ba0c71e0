/**
 * AugServe.js: the AugServe scheduler for tool-using LangChain.js agents on self-hosted GPU servers.
 *
 * The root export holds what a LangChain user needs: the middleware and the model wrapper, their options, the
 * errors a caller catches, the A/B mode's report, the scheduler and the predictor. The rest is under subpath
 * exports (`augserve/scheduler`, `augserve/predict`, `augserve/gateway`, `augserve/fleet`, `augserve/sim`,
 * `augserve/engine`, `augserve/ab`, `augserve/workload`, `augserve/metrics`). docs/api.md lists every name;
 * test/public-surface.test.ts pins them.
 */

// The shared budget's options, as `augserve({ shared })` takes them.
export type { SharedOptions } from "./fleet/index.js";
export { FleetOptionsError } from "./fleet/index.js";
// The A/B mode's report (`AugServe.report()`) and the run records behind it.
export type {
  AbReport,
  AgentRunOutcome,
  ArmName,
  ArmReport,
  ComparedMetric,
  MetricComparison,
  MetricSummary,
  RunRecord,
  Treatment,
} from "./langchain/index.js";
// The middleware, the model wrapper and the instance behind both; their options; run identity and priority
// on a call's config; local token counting; the middleware's Prometheus metrics; the errors a caller catches.
export {
  type AbTestOptions,
  AbTestSchema,
  AUGSERVE_ERROR_CLASSES,
  AUGSERVE_MIDDLEWARE_NAME,
  AugServe,
  type AugServeCallerError,
  AugServeChatModel,
  type AugServeContext,
  AugServeContextSchema,
  AugServeDrainingError,
  AugServeIncompleteResponseError,
  AugServeInvalidModelError,
  AugServeMetrics,
  type AugServeMiddleware,
  type AugServeOptions,
  AugServeOptionsError,
  AugServeOptionsSchema,
  AugServeOverloadedError,
  type AugServeStats,
  AugServeTimeoutError,
  approximateTokenCount,
  augserve,
  augserveMiddleware,
  CallCancelledError,
  createAugServe,
  defaultPredictor,
  defaultScheduler,
  findAugServeError,
  findError,
  type InvokableModel,
  localTokenCounts,
  metricsFor,
  PRIORITY_CLASS_KEY,
  parseAugServeOptions,
  QueueFullError,
  type ResolvedAugServeOptions,
  RUN_ID_KEY,
  supportsPriority,
  TENANT_KEY,
  withAugServe,
  withPriority,
} from "./langchain/index.js";
// The Stage I predictor: create, persist, restore, and feed a run handle's estimate.
export {
  createPredictor,
  type LoadOrColdOptions,
  loadOrCold,
  loadPredictor,
  type PredictionContext,
  type Predictor,
  type PredictorOptions,
  PredictorOptionsError,
  PredictorStateError,
  type RunObservation,
  type RunPrediction,
  savePredictor,
  type ToolSchema,
  toRunEstimate,
} from "./predict/index.js";
// The scheduler (pure, clock injected; `createSharedScheduler` of `augserve/fleet` shares a budget via Redis).
export {
  createScheduler,
  POLICY_NAMES,
  Scheduler,
  type SchedulerDeps,
  type SchedulerOptions,
  SchedulerOptionsError,
  SchedulerOptionsSchema,
  UnknownPolicyError,
} from "./scheduler/index.js";
// The scheduler's public types (`SchedulerApi`, `RunHandle`, `Slo`, `PolicyName`, ...).
export type * from "./scheduler/types.js";
// The base of every error AugServe.js throws, with its stable `code`.
export { AugServeError } from "./util/errors.js";
