/**
 * The simulator's view of a `--backend engine` A/B: the same scaled runs in virtual time on the engine-fitted
 * profile (`ENGINE_SIM_PROFILES`, fitted by `npm run bench:engine -- --fit` to this engine on one core), so
 * the live result on the real engine can be compared in direction and rough size with what the simulator
 * predicts for it.
 */

import type { ModelSize } from "../../engine/make-model.js";
import { sortedTtftMs } from "../../metrics/index.js";
import { Engine } from "../../sim/index.js";
import { loadWorkload } from "../../workload/load.js";
import { type BenchResultRow, resultRow } from "../results.js";
import { runVirtual } from "../virtual/driver.js";
import type { BenchPolicy } from "../virtual/options.js";
import { compressWorkloadTime } from "./engine-backend.js";
import { ENGINE_SIM_PROFILES } from "./engine-profiles.js";

export interface EngineVirtualOptions {
  workload: string | object;
  policies: readonly BenchPolicy[];
  rates: readonly number[];
  timeFactor: number;
  /** Sequences decoded together (the engine's `--parallel`). */
  parallel: number;
  /** KV cells per sequence. */
  contextSize: number;
  seed?: number;
  size?: ModelSize;
}

/** One row per (rate, policy), in virtual time on the engine-fitted profile of `size` (default `small`). */
export function virtualOnEngineProfile(o: EngineVirtualOptions): BenchResultRow[] {
  const fitted = ENGINE_SIM_PROFILES[o.size ?? "small"];
  const rows: BenchResultRow[] = [];
  for (const rate of o.rates) {
    const workload = compressWorkloadTime(
      loadWorkload(o.workload, {
        ratePerS: rate * o.timeFactor,
        ...(o.seed === undefined ? {} : { seed: o.seed }),
      }),
      o.timeFactor,
    );
    for (const policy of o.policies) {
      const result = runVirtual({
        workload,
        policy,
        serverOverheadMs: fitted.serverOverheadMs,
        createEngine: ({ schedulingPolicy }) =>
          new Engine({
            schedulingPolicy,
            cost: fitted.cost,
            kvCapacityTokens: o.parallel * o.contextSize,
            maxNumSeqs: o.parallel,
            maxNumBatchedTokens: fitted.maxNumBatchedTokens,
            maxModelLen: o.contextSize,
          }),
      });
      const ttfts = sortedTtftMs(result.records);
      rows.push(resultRow(policy, rate, result.summary, ttfts));
    }
  }
  return rows;
}
