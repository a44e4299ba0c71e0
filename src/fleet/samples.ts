/**
 * The budget controller's inputs of one process between two syncs: sums, not samples, so that what a sync
 * carries to Redis is a few numbers whatever the traffic. The fleet's controller folds the sums of every
 * process into one decision (controller.ts).
 */
import type { BudgetSample } from "../scheduler/budget.js";
import { addTokenLatency, addTtft, type LatencySums } from "../scheduler/budget-fold.js";
import type { ServerSignals } from "../scheduler/types.js";

export class SampleSums implements LatencySums {
  ttftSum = 0;
  ttftCount = 0;
  tokenMsSum = 0;
  tokens = 0;
  errors = 0;
  /** The latest server signals not yet published, or null. */
  server: ServerSignals | null = null;

  add(sample: BudgetSample): void {
    switch (sample.kind) {
      case "ttft":
        addTtft(this, sample);
        break;
      case "tokenLatency":
        addTokenLatency(this, sample);
        break;
      case "error":
        this.errors += 1;
        break;
      case "server":
        this.server = sample.signals;
        break;
      case "tick":
        break;
    }
  }

  get empty(): boolean {
    return this.ttftCount === 0 && this.tokens === 0 && this.errors === 0 && this.server === null;
  }

  /** The sums as they go into a sync, and the server signals as "waiting,running,kv,preemptions" or "". */
  take(): {
    sums: { ttftSum: number; ttftCount: number; tokenMsSum: number; tokens: number; errors: number };
    server: string;
  } {
    const sums = {
      ttftSum: this.ttftSum,
      ttftCount: this.ttftCount,
      tokenMsSum: this.tokenMsSum,
      tokens: this.tokens,
      errors: this.errors,
    };
    const s = this.server;
    const server =
      s === null
        ? ""
        : [s.waiting ?? 0, s.running ?? 0, s.kvCacheUsage ?? 0, s.preemptionsTotal ?? -1]
            .map((x) => (Number.isFinite(x) ? x : 0))
            .join(",");
    this.ttftSum = 0;
    this.ttftCount = 0;
    this.tokenMsSum = 0;
    this.tokens = 0;
    this.errors = 0;
    this.server = null;
    return { sums, server };
  }

  /** Puts back what a failed sync took (the samples count at the next one). */
  restore(taken: ReturnType<SampleSums["take"]>["sums"]): void {
    this.ttftSum += taken.ttftSum;
    this.ttftCount += taken.ttftCount;
    this.tokenMsSum += taken.tokenMsSum;
    this.tokens += taken.tokens;
    this.errors += taken.errors;
  }
}
