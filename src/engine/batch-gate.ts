/**
 * Holds node-llama-cpp's batch dispatch until every decoding sequence has queued its next token, so that
 * N sequences really decode in one `llama_decode` per step (as llama.cpp's server loop does).
 *
 * Why: node-llama-cpp samples each sequence's token in its own asynchronous native call after a decode, and
 * dispatches the next batch on the next event-loop turn (`setImmediate`) after the first sequence queues.
 * The other sequences' samples often land a turn later, so without a gate the batch splits into one decode
 * per sequence and batching is lost (measured: 2 sequences on the tiny model decoded at 1/3 of one
 * sequence's rate each). The gate re-checks on each turn until the queued sequences reach the decoding ones,
 * or `maxWaitMs` has passed (a sequence whose consumer is slow must not stall the others). When every
 * sequence of the context has queued, node-llama-cpp dispatches at once without asking the gate.
 * Measured (small model, 64 tokens per sequence): 2-8 sequences decoded ~800 tok/s in all without the gate
 * and ~1,600 with it.
 */
export class BatchGate {
  #queued: () => number;
  #maxWaitMs: number;
  #active = 0;
  #pending: (() => void) | undefined;
  #deadline = 0;

  /** `queued()`: sequences with tokens queued for the next batch. */
  constructor(queued: () => number, maxWaitMs = 2) {
    this.#queued = queued;
    this.#maxWaitMs = maxWaitMs;
  }

  /** Sequences evaluating now. */
  get active(): number {
    return this.#active;
  }

  /** A sequence starts evaluating (it will queue tokens each step until `end()`). */
  begin(): void {
    this.#active++;
  }

  /** A sequence stops evaluating (it queues no more tokens). */
  end(): void {
    this.#active--;
    if (this.#pending !== undefined) setImmediate(this.#poll);
  }

  /** node-llama-cpp's `batching.dispatchSchedule`. */
  readonly schedule = (dispatch: () => void): void => {
    this.#pending = dispatch;
    this.#deadline = performance.now() + this.#maxWaitMs;
    setImmediate(this.#poll);
  };

  readonly #poll = (): void => {
    const dispatch = this.#pending;
    if (dispatch === undefined) return;
    if (this.#queued() < this.#active && performance.now() < this.#deadline) {
      setImmediate(this.#poll);
      return;
    }
    this.#pending = undefined;
    dispatch();
  };
}
