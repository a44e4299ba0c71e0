/** The virtual-time A/B benchmark. */
export { defaultEngineFactory, defaultSchedulerFactory } from "./defaults.js";
export { runVirtual, type VirtualResult } from "./driver.js";
export type {
  EngineEmission,
  EngineFactory,
  EngineGauges,
  EngineStep,
  SchedulerFactory,
  VirtualEngine,
} from "./engine-port.js";
export { EventQueue } from "./event-queue.js";
export {
  BENCH_ONLY_POLICIES,
  BENCH_POLICIES,
  type BenchPolicy,
  isSchedulerPolicy,
  VirtualOptionsError,
  type VirtualRunOptions,
} from "./options.js";
export { observedRate, runSweep, type SweepOptions } from "./sweep.js";
