/**
 * The embedded GPU-server simulator (DESIGN.md section 7): a vLLM-like engine and an OpenAI-compatible server.
 */

export * from "./engine/cost-model.js";
export { Engine } from "./engine/engine.js";
export { KvBlockManager } from "./engine/kv-cache.js";
export { type EngineOptions, EngineOptionsSchema } from "./engine/options.js";
export * from "./engine/profiles.js";
export { createRequestQueue, SCHEDULING_POLICIES, type SchedulingPolicy } from "./engine/request-queue.js";
export * from "./errors.js";
export { decodeStepMs, type FidelityRow, fidelityTable, singleRequestTtftMs } from "./fidelity.js";
export { type RunLike, scriptsFromRuns } from "./run-scripts.js";
export {
  type SimServer,
  type SimServerOptions,
  SimServerOptionsSchema,
  startSimServer,
} from "./server/server.js";
export type * from "./types.js";
