/**
 * `fcfs-window` in live mode: a client-side first-come-first-served queue with a fixed number of model calls
 * in flight, shared by every agent of a point (what one builds with p-queue in front of ChatOpenAI).
 */
import { createMiddleware } from "langchain";

/** A FIFO semaphore of `size` slots. */
export class CallWindow {
  readonly #size: number;
  #inFlight = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(size: number) {
    if (!(Number.isInteger(size) && size >= 1))
      throw new RangeError(`Expected a window size that is an integer >= 1, got ${size}`);
    this.#size = size;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#inFlight >= this.#size) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#inFlight++;
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter (inFlight unchanged), or free it.
      const next = this.#waiting.shift();
      if (next === undefined) this.#inFlight--;
      else next();
    }
  }
}

/** The middleware that puts every model call of the agents through `window`. */
export function windowMiddleware(window: CallWindow) {
  return createMiddleware({
    name: "augserve_live_window",
    wrapModelCall: (request, handler) => window.run(async () => handler(request)),
  });
}
