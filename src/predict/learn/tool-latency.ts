/**
 * Per-tool latency: an exponentially weighted mean and variance of each tool's measured latency, updated
 * after every tool call, plus the same over all tools as the fallback for a tool never seen.
 *
 * The latency of a tool phase with c parallel calls is the slowest of them, so the estimate is
 * "max-ish": mean + sd * sqrt(2 ln c) (the classic approximation of the expected maximum of c normals).
 * Which tool a run will call is unknown, so a run's estimate averages over its bound tools, weighted by
 * how often each has been called.
 */
import { Ewm } from "./running-stats.js";

export interface ToolLatencyState {
  tools: Record<string, [number, number, number]>;
  all: [number, number, number];
}

export class ToolLatencyModel {
  readonly #alpha: number;
  readonly #priorMs: number;
  readonly #capacity: number;
  #tools = new Map<string, Ewm>();
  #all = new Ewm();

  constructor(alpha: number, priorMs: number, capacity: number) {
    this.#alpha = alpha;
    this.#priorMs = priorMs;
    this.#capacity = capacity;
  }

  /** Teaches one call's latency. Negative or non-finite samples are ignored. */
  learn(tool: string, latencyMs: number): void {
    if (!Number.isFinite(latencyMs) || latencyMs < 0 || latencyMs > 1e9) return; // > 11 days: a bad clock
    const name = typeof tool === "string" ? tool : "";
    let stats = this.#tools.get(name);
    if (stats === undefined) {
      if (this.#tools.size >= this.#capacity) {
        const oldest = this.#tools.keys().next().value;
        if (oldest !== undefined) this.#tools.delete(oldest);
      }
      stats = new Ewm();
      this.#tools.set(name, stats);
    }
    stats.add(latencyMs, this.#alpha);
    this.#all.add(latencyMs, this.#alpha);
  }

  /** Mean and standard deviation of one tool's latency (falls back to all tools, then to the prior). */
  estimate(tool: string): { meanMs: number; sdMs: number; calls: number } {
    const stats = this.#tools.get(tool);
    if (stats !== undefined && stats.n > 0) {
      return { meanMs: stats.mean, sdMs: Math.sqrt(Math.max(0, stats.variance)), calls: stats.n };
    }
    if (this.#all.n > 0)
      return { meanMs: this.#all.mean, sdMs: Math.sqrt(Math.max(0, this.#all.variance)), calls: 0 };
    return { meanMs: this.#priorMs, sdMs: 0, calls: 0 };
  }

  /** Expected duration of one tool phase of an agent with these tools, with `callsPerRound` parallel calls. */
  phaseLatency(toolNames: readonly string[], callsPerRound: number): number {
    let weight = 0;
    let mean = 0;
    let variance = 0;
    for (const name of toolNames) {
      const e = this.estimate(name);
      const w = e.calls + 1; // frequency of use, smoothed: an unseen tool still counts a little
      weight += w;
      mean += w * e.meanMs;
      variance += w * e.sdMs * e.sdMs;
    }
    if (weight === 0) {
      const e = this.estimate("");
      mean = e.meanMs;
      variance = e.sdMs * e.sdMs;
      weight = 1;
    }
    const c = Math.max(1, callsPerRound);
    const spread = c > 1 ? Math.sqrt(2 * Math.log(c)) : 0;
    const result = mean / weight + spread * Math.sqrt(variance / weight);
    return Number.isFinite(result) && result > 0 ? result : 0;
  }

  toJSON(): ToolLatencyState {
    const tools: Record<string, [number, number, number]> = {};
    for (const [name, stats] of this.#tools) tools[name] = stats.toJSON();
    return { tools, all: this.#all.toJSON() };
  }

  static from(state: ToolLatencyState, alpha: number, priorMs: number, capacity: number): ToolLatencyModel {
    const model = new ToolLatencyModel(alpha, priorMs, capacity);
    for (const [name, stats] of Object.entries(state.tools)) model.#tools.set(name, Ewm.from(stats));
    model.#all = Ewm.from(state.all);
    return model;
  }
}
