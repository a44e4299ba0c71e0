/**
 * Runs the engine in wall-clock time: simulated GPU time tracks real time divided by `timeScale`.
 *
 * The driver keeps a simulated clock. A busy period starts at (real r0, simulated s0); the step that starts at
 * simulated time s runs once real time reaches r0 + (s - s0) / timeScale, and its tokens are delivered at its
 * end time. When behind (the CPU is slower than the scaled GPU), steps run back to back, yielding to the event
 * loop between them; the driver sleeps (setTimeout) only when ahead, and not at all when idle.
 */
import type { Engine } from "../engine/engine.js";
import type { EngineRequest } from "../types.js";

/** Receives one request's tokens. */
export interface TokenSink {
  /** `tokens` new tokens at simulated time `simMs`. */
  onTokens(tokens: number, first: boolean, finished: boolean, simMs: number): void;
  /** Called before the first `onTokens` with the prompt tokens served from the prefix cache. */
  onAdmitted?(cachedTokens: number): void;
  /**
   * `onTokens` or `onAdmitted` threw: the request is cancelled (its KV freed) and gets no more calls. The
   * error stops here, so one broken stream cannot stop the engine loop (or the process, from a timer).
   */
  onError?(error: unknown): void;
}

export interface DriverOptions {
  /** Real time runs this many times faster than the simulated GPU. */
  timeScale: number;
  /** Simulated API-server time before a request reaches the engine, ms. */
  overheadMs: number;
  /** Called after each step (metrics). */
  onStep?: () => void;
}

export class WallClockDriver {
  readonly engine: Engine;
  #options: DriverOptions;
  #sinks = new Map<string, TokenSink>();
  #pending = new Map<string, NodeJS.Timeout>();
  #realAnchor = 0;
  #simAnchor = 0;
  #simNow = 0;
  #active = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(engine: Engine, options: DriverOptions) {
    this.engine = engine;
    this.#options = options;
  }

  /** Current simulated time, ms. */
  simTime(): number {
    if (!this.#active) return this.#simNow + (performance.now() - this.#realAnchor) * this.#options.timeScale;
    return this.#simAnchor + (performance.now() - this.#realAnchor) * this.#options.timeScale;
  }

  /** Queues a request after the server overhead. Throws (synchronously) what `Engine.add` throws. */
  submit(request: EngineRequest, sink: TokenSink): void {
    if (this.#closed) throw new Error("driver closed");
    const delayMs = this.#options.overheadMs / this.#options.timeScale;
    const admit = () => {
      this.#pending.delete(request.id);
      this.engine.add(request);
      this.#sinks.set(request.id, sink);
      this.#kick();
    };
    if (delayMs < 0.5) {
      admit();
      return;
    }
    // A request that can never fit fails now (Engine.add throws), not after the overhead.
    if (request.promptTokens.length + request.maxTokens > this.engine.options.maxModelLen)
      this.engine.add(request);
    this.#pending.set(request.id, setTimeout(admit, delayMs));
  }

  /** Drops a request (client gone): its KV blocks are freed at once. */
  cancel(id: string): void {
    const timer = this.#pending.get(id);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.#pending.delete(id);
    }
    this.#sinks.delete(id);
    this.engine.abort(id);
  }

  #fail(id: string, sink: TokenSink, error: unknown): void {
    this.cancel(id);
    try {
      sink.onError?.(error);
    } catch {
      // Nothing more can be done for this request; the others go on.
    }
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#pending.values()) clearTimeout(timer);
    this.#pending.clear();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    for (const id of [...this.#sinks.keys()]) this.cancel(id);
  }

  #kick(): void {
    if (this.#active || this.#closed) return;
    // A new busy period: simulated time caught up with real time while idle.
    this.#simNow = this.simTime();
    this.#realAnchor = performance.now();
    this.#simAnchor = this.#simNow;
    this.#active = true;
    this.#timer = setTimeout(() => this.#run(), 0);
  }

  #realDeadline(simMs: number): number {
    return this.#realAnchor + (simMs - this.#simAnchor) / this.#options.timeScale;
  }

  /** Runs due steps for up to ~10 ms of CPU, then yields; sleeps when ahead of real time. */
  #run(): void {
    this.#timer = undefined;
    const sliceEnd = performance.now() + 10;
    for (;;) {
      if (this.#closed) return;
      const out = this.engine.step();
      if (out === null) {
        this.#active = false;
        this.#simNow = this.simTime();
        this.#realAnchor = performance.now();
        return;
      }
      this.#simNow += out.durationMs;
      const end = this.#simNow;
      const emitted = out.emitted;
      const deliver = () => {
        for (const e of emitted) {
          if (e.tokens === 0) continue;
          const sink = this.#sinks.get(e.id);
          if (sink === undefined) continue;
          try {
            if (e.first) sink.onAdmitted?.(e.cachedTokens);
            sink.onTokens(e.tokens, e.first, e.finished, end);
            if (e.finished) this.#sinks.delete(e.id);
          } catch (error) {
            this.#fail(e.id, sink, error);
          }
        }
        this.#options.onStep?.();
      };
      const wait = this.#realDeadline(end) - performance.now();
      if (wait > 1) {
        // Ahead of real time: deliver this step's tokens at its end time, then go on.
        this.#timer = setTimeout(() => {
          deliver();
          this.#run();
        }, wait);
        return;
      }
      deliver();
      if (performance.now() > sliceEnd) {
        this.#timer = setTimeout(() => this.#run(), 0);
        return;
      }
    }
  }
}
