/** Watches an in-process simulator engine's steps: when each completion started, and the server's side. */

import { ServerMetrics, type ServerSummary } from "../../metrics/index.js";
import type { Engine } from "../../sim/index.js";

/** Watches an in-process engine's steps (wraps the instance's `step`; `detach()` restores it). */
export class EngineTap {
  readonly #engine: Engine;
  readonly #step: Engine["step"];
  readonly #firstSeen = new Map<string, number>();
  readonly #server = new ServerMetrics();
  readonly #timeScale: number;
  #origin = 0;

  constructor(engine: Engine, timeScale: number) {
    this.#engine = engine;
    this.#timeScale = timeScale;
    this.#step = engine.step;
    engine.step = (options) => {
      const now = performance.now();
      const out = this.#step.call(engine, options);
      if (out !== null) {
        for (const e of out.emitted) if (!this.#firstSeen.has(e.id)) this.#firstSeen.set(e.id, now);
        this.#server.record((now - this.#origin) * this.#timeScale, out, engine.stats().kvCacheUsage);
      }
      return out;
    };
  }

  /** Starts the server-side measurement at wall time `origin`. */
  setOrigin(origin: number): void {
    this.#origin = origin;
  }

  startOf(id: string): number | undefined {
    return this.#firstSeen.get(id);
  }

  /** Every completion seen, with the wall time (this thread's `performance.now()`) it was first stepped. */
  starts(): IterableIterator<[string, number]> {
    return this.#firstSeen.entries();
  }

  summary(horizonMs: number): ServerSummary {
    return this.#server.summary(horizonMs);
  }

  detach(): void {
    this.#engine.step = this.#step;
  }
}
