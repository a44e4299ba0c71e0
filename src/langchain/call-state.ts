/**
 * The state of one model call (its abort signal and its observer) and the deadlines of the calls under way.
 *
 * Why one timer for every call instead of a `setTimeout` each: with LangChain's AsyncLocalStorage active,
 * every timer made copies the async context into its resource (measured in the middleware bench's profile),
 * and a call's time-out (10 minutes by default) almost never fires. So calls register a deadline, and one
 * unref'd interval, every 1% of the time-out (10 ms to 5 s), aborts the overdue ones: a time-out fires at
 * most 1% late.
 */
import { AsyncResource } from "node:async_hooks";
import type { ActiveCall } from "./call-model.js";
import type { CallObserver } from "./observer.js";

/** The calls under way of one AugServe instance, and the interval that times them out. */
export class CallDeadlines {
  readonly #timeoutMs: number;
  readonly #periodMs: number;
  readonly #calls = new Set<ActiveModelCall>();
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The constructor's async context: the interval must not keep a caller's context (and its objects) alive. */
  readonly #rootContext = new AsyncResource("AugServeCallDeadlines");

  /** @param timeoutMs every call's time-out (0: none, nothing is registered). */
  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    this.#periodMs = Math.min(5_000, Math.max(10, timeoutMs / 100));
  }

  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  add(call: ActiveModelCall): void {
    if (this.#timeoutMs <= 0) return;
    this.#calls.add(call);
    if (this.#timer !== undefined) return;
    this.#timer = this.#rootContext.runInAsyncScope(() => setInterval(() => this.#tick(), this.#periodMs));
    this.#timer.unref?.();
  }

  delete(call: ActiveModelCall): void {
    this.#calls.delete(call);
  }

  /** Stops the interval (a new call starts it again). */
  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    if (this.#calls.size === 0) {
      this.stop();
      return;
    }
    const now = performance.now();
    for (const call of this.#calls) {
      if (call.deadline <= now) {
        this.#calls.delete(call);
        call.timeOut(this.#timeoutMs);
      }
    }
  }
}

/**
 * One model call: its abort signal, which follows the caller's (and any signal it is told to follow) and
 * aborts at the time-out, and its observer, made on demand. The listener is the object itself
 * (`handleEvent`): a call makes no closure for it.
 */
export class ActiveModelCall implements ActiveCall {
  priority: number | undefined = undefined;
  lastInvokeFailed = false;
  /** When the call times out (`performance.now()` ms). */
  readonly deadline: number;
  readonly #controller = new AbortController();
  readonly #caller: AbortSignal | undefined;
  readonly #deadlines: CallDeadlines;
  readonly #makeObserver: () => CallObserver;
  #observer: CallObserver | undefined;

  /** @param caller the caller's signal (followed until `dispose`) */
  constructor(caller: AbortSignal | undefined, deadlines: CallDeadlines, makeObserver: () => CallObserver) {
    this.#caller = caller;
    this.#deadlines = deadlines;
    this.#makeObserver = makeObserver;
    this.deadline = performance.now() + deadlines.timeoutMs;
    if (caller !== undefined) this.follow(caller);
    deadlines.add(this);
  }

  get observer(): CallObserver {
    this.#observer ??= this.#makeObserver();
    return this.#observer;
  }

  /** The observer if one was made (the call streamed), without making one. */
  get observed(): CallObserver | undefined {
    return this.#observer;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  follow(signal: AbortSignal): void {
    if (signal.aborted) this.#controller.abort(signal.reason);
    else signal.addEventListener("abort", this);
  }

  unfollow(signal: AbortSignal): void {
    signal.removeEventListener("abort", this);
  }

  /** A followed signal aborted. */
  handleEvent(event: Event): void {
    this.#controller.abort((event.target as AbortSignal).reason);
  }

  /**
   * The call is over its time-out: it aborts with a `TimeoutError` reason, which tells the scheduler that the
   * call failed (a stalled server is pressure for the budget controller), where a caller's abort is not.
   */
  timeOut(timeoutMs: number): void {
    this.#controller.abort(new DOMException(`callTimeoutMs=${timeoutMs} ms passed`, "TimeoutError"));
  }

  /** The call is over: stops following the caller's signal and forgets its deadline. */
  dispose(): void {
    if (this.#caller !== undefined) this.unfollow(this.#caller);
    this.#deadlines.delete(this);
  }
}
