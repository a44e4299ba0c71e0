/**
 * The scheduler the middleware benchmark measures with. Until the AugServe scheduler is on main this is a
 * pass-through that admits at once (it measures the middleware alone); it becomes `createScheduler()`.
 */
import type { CallContext, RunHandle, SchedulerApi } from "../scheduler/types.js";

export function createBenchScheduler(): SchedulerApi {
  let callId = 0;
  const handle = (id: string): RunHandle => ({
    id,
    call: (_spec, fn) => {
      const ctx: CallContext = {
        runId: id,
        callId: ++callId,
        priority: 0,
        signal: new AbortController().signal,
        onFirstToken() {},
        onTokens() {},
        setResult() {},
      };
      return fn(ctx);
    },
    submit: () => {
      throw new Error("not used");
    },
    updateEstimate() {},
    park() {},
    unpark() {},
    end() {},
  });
  return {
    beginRun: (options) => handle(options.runId ?? "run"),
    observe() {},
    snapshot: () => ({
      policy: "fcfs",
      now: 0,
      queued: 0,
      inFlightCalls: 0,
      inFlightTokens: 0,
      budgetTokens: 0,
      activeRuns: 0,
      parkedRuns: 0,
      counters: { admitted: 0, completed: 0, failed: 0, aborted: 0, rejected: 0, promoted: 0 },
    }),
    on: () => () => {},
  };
}
