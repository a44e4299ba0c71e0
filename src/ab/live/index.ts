/** The live A/B benchmark: real LangChain agents over real HTTP (see docs/live.md). */
export { aggregateRows } from "./aggregate.js";
export { type LiveBackend, type LiveServerSummary, openBackend } from "./backend.js";
export { type LiveBenchFlags, lagWarning, runLiveBench } from "./cli.js";
export { type LiveResult, type LiveRunOptions, runLive } from "./driver.js";
export { compressWorkloadTime, ensureEngineModel, openEngineBackend } from "./engine-backend.js";
export { type EngineVirtualOptions, virtualOnEngineProfile } from "./engine-compare.js";
export { EngineTap } from "./engine-tap.js";
export { HORIZON_SLACK, sloDeadlineMs } from "./horizon.js";
export { LoadMonitor, type LoadReport } from "./lag.js";
export {
  DEFAULT_TIME_SCALE,
  LIVE_POLICIES,
  LiveOptionsError,
  type LivePolicy,
  type LiveScalarOptions,
  LiveScalarOptionsSchema,
  parseLiveOptions,
} from "./options.js";
export { RecorderCallbacks, RunRecorder, recorderMiddleware } from "./recorder.js";
export {
  COMPARED_METRICS,
  type ComparedMetric,
  compareRepeats,
  direction,
  type MeanInterval,
  meanInterval,
  type PairedComparison,
  renderComparisons,
  tQuantile975,
} from "./repeat-compare.js";
export { ScaledPredictor, scaledClock } from "./scaled.js";
export { type LiveBenchReport, type LiveSweepOptions, runLiveSweep } from "./sweep.js";
export { buildRunTools, ScriptedCalls, sleepWall, toolResultText } from "./tools.js";
export { CallWindow, windowMiddleware } from "./window.js";
