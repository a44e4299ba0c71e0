/**
 * LangChain.js integration: the `augserve()` agent middleware, `withAugServe(model)`, and the
 * `createAugServe()` handle with the A/B report.
 */

import { AugServe, createAugServe } from "./augserve.js";
import type { InvokableModel } from "./call-model.js";
import { type AugServeChatModel, assertInvokableModel } from "./chat-model.js";
import type { AugServeMiddleware } from "./middleware.js";
import type { AugServeOptions } from "./options.js";

/**
 * The LangChain v1 agent middleware: every model call of the agent waits for admission by the AugServe
 * scheduler (the process-wide one unless `options.scheduler` is given); tool phases park the run.
 * Validates `options` at once (throws `AugServeOptionsError`). For `report()`, `onIdle()` and `drain()`,
 * use {@link createAugServe} and its `middleware()`.
 *
 * @example
 * ```ts
 * const agent = createAgent({ model, tools, middleware: [augserve()] });
 * ```
 */
export function augserve(options?: AugServeOptions): AugServeMiddleware {
  return createAugServe(options).middleware();
}

/**
 * `augserve()` under LangChain's naming convention for middleware factories (`xMiddleware(options)`).
 * @example createAgent({ model, tools, middleware: [augserveMiddleware({ slo: { ttftMs: 1000, normLatencyMsPerToken: 50 } })] })
 */
export const augserveMiddleware: (options?: AugServeOptions) => AugServeMiddleware = augserve;

/**
 * Wraps a chat model (a `BaseChatModel`, or one returned by `bindTools`) so that its calls are scheduled.
 * Pass an `AugServe` instance to share its scheduler, metrics and report, or options to create one.
 * Calls carrying `configurable.augserveRunId` (or `metadata.augserveRunId`) form one run; others are one
 * run each. Throws `AugServeInvalidModelError` for anything that is not a chat model.
 *
 * @example
 * ```ts
 * const model = withAugServe(new ChatOpenAI({ model: "llama", configuration: { baseURL } }));
 * await model.bindTools([search]).invoke(messages, { configurable: { augserveRunId: "conv-42" } });
 * ```
 */
export function withAugServe(model: InvokableModel, options?: AugServeOptions | AugServe): AugServeChatModel {
  // Checked before the options, so that the error names the model and no metrics poller is started for it.
  assertInvokableModel(model);
  const aug = options instanceof AugServe ? options : createAugServe(options);
  return aug.wrap(model);
}

export { createScheduler } from "../scheduler/create-scheduler.js";
export { AugServeOverloadedError, CallCancelledError, QueueFullError } from "../scheduler/errors.js";
export { AugServe, type AugServeStats, createAugServe } from "./augserve.js";
export type { ActiveCall, InvokableModel } from "./call-model.js";
export { AugServeChatModel } from "./chat-model.js";
export { defaultPredictor, defaultScheduler } from "./defaults.js";
export {
  AUGSERVE_ERROR_CLASSES,
  type AugServeCallerError,
  AugServeDrainingError,
  AugServeIncompleteResponseError,
  AugServeInvalidModelError,
  AugServeOptionsError,
  AugServeTimeoutError,
  findAugServeError,
  findError,
} from "./errors.js";
export { AugServeMetrics, metricsFor } from "./metrics.js";
export { AUGSERVE_MIDDLEWARE_NAME, type AugServeMiddleware } from "./middleware.js";
export {
  type AbTestOptions,
  AbTestSchema,
  type AugServeContext,
  AugServeContextSchema,
  type AugServeOptions,
  AugServeOptionsSchema,
  parseAugServeOptions,
  type ResolvedAugServeOptions,
} from "./options.js";
export { supportsPriority, withPriority } from "./priority.js";
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
} from "./report.js";
export type { BeginRunInput, ModelCallInput } from "./run-inputs.js";
export { TrackedRun } from "./run-state.js";
export { approximateTokenCount, localTokenCounts } from "./token-counts.js";
export { estimatePromptTokens, TokenCalibrator } from "./tokens.js";
export { PRIORITY_CLASS_KEY, RUN_ID_KEY, TENANT_KEY } from "./wrapper-runs.js";
