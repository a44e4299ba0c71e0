/**
 * Server pressure for Stage II, from `observe()`: three levels with a dead band, so that the O(n) re-scoring
 * a level change costs stays rare.
 * - 1: the server queues requests, KV use >= the high-water mark, or the preemption counter increased;
 * - 0.5: KV use >= the low-water mark;
 * - 0: otherwise.
 */
import type { ServerSignals } from "./types.js";

export class PressureGauge {
  level = 0;
  #lastPreemptions: number | null = null;

  /** Takes new signals; returns whether the level changed. */
  update(signals: ServerSignals, kvLowWater: number, kvHighWater: number): boolean {
    const total = signals.preemptionsTotal;
    const finite = total !== undefined && Number.isFinite(total);
    const preempted = finite && this.#lastPreemptions !== null && total > this.#lastPreemptions;
    if (finite) this.#lastPreemptions = total;
    const kv = signals.kvCacheUsage ?? 0;
    const level =
      (signals.waiting ?? 0) > 0 || kv >= kvHighWater || preempted ? 1 : kv >= kvLowWater ? 0.5 : 0;
    if (level === this.level) return false;
    this.level = level;
    return true;
  }
}
