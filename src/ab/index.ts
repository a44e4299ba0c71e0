/**
 * The A/B harness in virtual time (`augserve/ab`): the single-server benchmark of policies over a workload
 * (`runVirtual`, `runSweep`), the multi-replica benchmark of placements (`runReplicas`, `runReplicaSweep`),
 * and the report rows and tables they share. The live A/B (real agents over HTTP) runs through the CLI
 * (`augserve bench --mode live`, docs/live.md); it needs the optional peer `@langchain/openai`, which nothing
 * here loads.
 */

export { type ReplicaResult, type ReplicaRunOptions, runReplicas } from "./replicas/driver.js";
export {
  type ReplicaBenchReport,
  type ReplicaResultRow,
  type ReplicaSweepOptions,
  renderReplicaTable,
  runReplicaSweep,
} from "./replicas/sweep.js";
export {
  type BenchReport,
  type BenchResultRow,
  SUSTAINABLE_ATTAINMENT,
  sustainableRates,
} from "./results.js";
export { rateTable, renderReport } from "./table.js";
export {
  BENCH_ONLY_POLICIES,
  BENCH_POLICIES,
  type BenchPolicy,
  type EngineFactory,
  runSweep,
  runVirtual,
  type SchedulerFactory,
  type SweepOptions,
  VirtualOptionsError,
  type VirtualResult,
  type VirtualRunOptions,
} from "./virtual/index.js";
