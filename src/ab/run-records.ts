/**
 * A run's and a call's record as every A/B driver opens them (virtual world, shared-budget bench): nothing
 * measured yet, filled in as the run goes.
 */
import type { CallRecord, RunRecord } from "../metrics/records.js";
import type { GeneratedRun } from "../workload/types.js";

/** The record of `run` before it arrives: no call, no token, not ended. */
export function openRunRecord(run: GeneratedRun): RunRecord {
  return {
    id: run.id,
    className: run.className,
    arrivalMs: run.arrivalMs,
    firstTokenMs: null,
    endMs: null,
    toolTimeMs: 0,
    outputTokens: 0,
    calls: [],
  };
}

/** The record of a call submitted at `submitMs` (not started, no token yet). */
export function openCallRecord(submitMs: number): CallRecord {
  return { submitMs, startMs: null, firstTokenMs: null, endMs: null, outputTokens: 0 };
}
