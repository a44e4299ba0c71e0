/**
 * The client process's own event-loop delay, for the budget's lag discount (docs/scheduler.md, "Which signal
 * the controller trusts when").
 *
 * Every latency the middleware or the gateway measures is two timestamps taken on the event loop: a busy app
 * process (a CPU-heavy tool, JSON of a large document, another library's work) takes them late, and a TTFT
 * that includes 50 ms of the client's own lag reads to the budget as 50 ms of server queue. This monitor
 * samples the loop's delay with Node's `perf_hooks.monitorEventLoopDelay` (a libuv timer whose lateness is
 * recorded in a histogram) and reports the mean delay of each window; the scheduler's `observeClientLag`
 * discounts it. It lives in backend/ (not scheduler/, which does no I/O): the scheduler gets a number.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import { AugServeError } from "../util/index.js";

/** Options of {@link EventLoopLagMonitor}. */
export interface EventLoopLagOptions {
  /** Receives the mean event-loop delay of each window, ms (>= 0). Exceptions it throws are swallowed. */
  onLag: (ms: number) => void;
  /** Window between two reports, ms. Bounds: >= 20. @default 500 */
  intervalMs?: number;
  /**
   * Sampling period of the delay timer, ms (`monitorEventLoopDelay`'s `resolution`); the histogram records
   * the timer's period plus its lateness, so the period is subtracted. Bounds: >= 1. @default 10
   */
  resolutionMs?: number;
}

/** Thrown for invalid {@link EventLoopLagOptions}, naming the option. */
export class EventLoopLagOptionsError extends AugServeError {
  static override readonly code = "BACKEND_EVENT_LOOP_LAG_OPTIONS";
  override readonly name = "EventLoopLagOptionsError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`Invalid EventLoopLagMonitor option ${field}: ${message}`);
  }
}

/**
 * Reports the event loop's mean delay every `intervalMs` (its timer is `unref`ed: it never keeps the process
 * alive).
 *
 * @example
 * ```ts
 * const lag = new EventLoopLagMonitor({ onLag: (ms) => scheduler.observeClientLag(ms) }).start();
 * // ...
 * lag.stop();
 * ```
 */
export class EventLoopLagMonitor {
  readonly #onLag: (ms: number) => void;
  readonly #intervalMs: number;
  readonly #resolutionMs: number;
  #histogram: IntervalHistogram | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastMs = 0;

  constructor(options: EventLoopLagOptions) {
    if (typeof options?.onLag !== "function")
      throw new EventLoopLagOptionsError("onLag", "expected a function");
    const intervalMs = options.intervalMs ?? 500;
    const resolutionMs = options.resolutionMs ?? 10;
    if (!Number.isFinite(intervalMs) || intervalMs < 20)
      throw new EventLoopLagOptionsError("intervalMs", `expected a number >= 20, got ${String(intervalMs)}`);
    if (!Number.isInteger(resolutionMs) || resolutionMs < 1)
      throw new EventLoopLagOptionsError(
        "resolutionMs",
        `expected an integer >= 1, got ${String(resolutionMs)}`,
      );
    this.#onLag = options.onLag;
    this.#intervalMs = intervalMs;
    this.#resolutionMs = resolutionMs;
  }

  /** The mean delay of the last full window, ms (0 before the first). */
  get lastMs(): number {
    return this.#lastMs;
  }

  /** Starts sampling (idempotent). Returns `this`. */
  start(): this {
    if (this.#timer !== undefined) return this;
    const histogram = monitorEventLoopDelay({ resolution: this.#resolutionMs });
    histogram.enable();
    this.#histogram = histogram;
    this.#timer = setInterval(() => this.#report(), this.#intervalMs);
    this.#timer.unref();
    return this;
  }

  /** Stops sampling (idempotent). */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#histogram?.disable();
    this.#histogram = undefined;
  }

  #report(): void {
    const histogram = this.#histogram;
    if (histogram === undefined || histogram.count === 0) return;
    // Nanoseconds; each recorded value is the timer's period plus how late it fired.
    const ms = Math.max(0, histogram.mean / 1e6 - this.#resolutionMs);
    histogram.reset();
    this.#lastMs = ms;
    try {
      this.#onLag(ms);
    } catch {
      // A failing consumer must not stop the monitor (nor crash the process from a timer).
    }
  }
}
