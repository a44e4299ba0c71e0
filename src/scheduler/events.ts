/**
 * A minimal typed event emitter. Listeners run synchronously, in subscription order. A listener that throws
 * does not break the scheduler operation that emitted: its error is re-thrown on a microtask (as an
 * uncaught error, the way Node reports a throwing `EventEmitter` listener), after the state is consistent.
 */
import type { SchedulerEventName, SchedulerEvents } from "./types.js";

type Listener<E extends SchedulerEventName> = (payload: SchedulerEvents[E]) => void;

export class SchedulerEmitter {
  readonly #listeners = new Map<SchedulerEventName, Set<Listener<never>>>();

  /** Subscribes; returns the function that unsubscribes. */
  on<E extends SchedulerEventName>(event: E, listener: Listener<E>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => {
      set.delete(listener as Listener<never>);
      if (set.size === 0) this.#listeners.delete(event);
    };
  }

  /** Whether anyone listens: lets the hot path skip building payloads. */
  has(event: SchedulerEventName): boolean {
    return this.#listeners.has(event);
  }

  emit<E extends SchedulerEventName>(event: E, payload: SchedulerEvents[E]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<E>)(payload);
      } catch (error) {
        rethrowLater(error);
      }
    }
  }
}

/** Reports an error of user code (a listener, an `onAdmit` handler) without unwinding the scheduler. */
export function rethrowLater(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}
