/**
 * Is the process keeping up? Live mode runs agents, LangChain's graph, SSE parsing and (with `sim`) the
 * simulator on one event loop. When the CPU cannot keep up, timers and chunks are handled late, and every
 * latency measured is inflated by that lag (multiplied by the time scale). The event loop's delay
 * (`monitorEventLoopDelay`) measures exactly this.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";

/** How loaded the process was during a point. */
export interface LoadReport {
  /** p99 of the event loop's delay, wall ms. */
  lagP99WallMs: number;
  /** The same in unscaled ms (wall x time scale): how much it may have inflated a latency. */
  lagP99Ms: number;
  /** CPU time of this process / wall time (1 = one core busy). */
  cpuCores: number;
  /** True when `lagP99Ms` exceeds the threshold: the figures are distorted. */
  cpuBound: boolean;
}

/** Measures event-loop delay and CPU use from construction until `stop()`. */
export class LoadMonitor {
  readonly #histogram = monitorEventLoopDelay({ resolution: 10 });
  readonly #cpu = process.cpuUsage();
  readonly #wall = performance.now();
  readonly #timeScale: number;
  readonly #maxLagMs: number;

  constructor(timeScale: number, maxLagMs: number) {
    this.#timeScale = timeScale;
    this.#maxLagMs = maxLagMs;
    this.#histogram.enable();
  }

  stop(): LoadReport {
    this.#histogram.disable();
    const cpu = process.cpuUsage(this.#cpu);
    const wall = Math.max(1, performance.now() - this.#wall);
    const p99 = this.#histogram.count === 0 ? 0 : this.#histogram.percentile(99) / 1e6;
    // The histogram counts the timer's own resolution as delay; take it off.
    const lagP99WallMs = Math.max(0, p99 - 10);
    const lagP99Ms = lagP99WallMs * this.#timeScale;
    return {
      lagP99WallMs,
      lagP99Ms,
      cpuCores: (cpu.user + cpu.system) / 1000 / wall,
      cpuBound: lagP99Ms > this.#maxLagMs,
    };
  }
}
