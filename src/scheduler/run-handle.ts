/**
 * The caller's handle on a run. The low-level operations live in the scheduler (`RunOps`); this class adds
 * the promise API, `call()`, on top of `submit()`.
 */
import type { CallRecord } from "./call-record.js";
import type { RunState } from "./run-state.js";
import type {
  CallContext,
  CallOptions,
  CallSpec,
  CallTicket,
  QueuedCall,
  RunEstimate,
  RunHandle,
  RunOutcome,
  SubmitHandlers,
  ToolPhaseInfo,
} from "./types.js";

/** The scheduler's operations on a run (one shared object, so a run costs no closures). */
export interface RunOps {
  submit(run: RunState, spec: CallSpec, handlers: SubmitHandlers, signal: AbortSignal | null): CallRecord;
  /** Removes a queued call and rejects it with `error` (the signal's reason). */
  abortQueued(call: CallRecord, error: unknown): void;
  updateEstimate(run: RunState, estimate: Partial<RunEstimate>): void;
  park(run: RunState, info: ToolPhaseInfo | undefined): void;
  unpark(run: RunState): void;
  end(run: RunState, outcome: RunOutcome): void;
}

/**
 * Whether an abort reason is a time-out (`AbortSignal.timeout()` aborts with a `TimeoutError` DOMException;
 * callers with their own timer abort with an error of that name). A call that times out while running is a
 * failure for the budget controller (a stalled server is pressure), not a caller's abort.
 */
export function isTimeoutReason(reason: unknown): boolean {
  return (reason as { name?: unknown } | null)?.name === "TimeoutError";
}

export class SchedulerRun implements RunHandle {
  readonly #run: RunState;
  readonly #ops: RunOps;

  constructor(run: RunState, ops: RunOps) {
    this.#run = run;
    this.#ops = ops;
  }

  get id(): string {
    return this.#run.id;
  }

  /**
   * Queues a call, waits for admission, runs `fn`, and releases the call's budget exactly once:
   * when `fn`'s promise settles (ok / error), when `fn` throws, or when `options.signal` aborts
   * (queued: removed from the queue; running: released at once, `fn`'s later outcome ignored).
   * Rejects with the signal's reason on abort, with `QueueFullError` at once when the queue is full,
   * with `CallCancelledError` when the run ends while the call is queued. A running call aborted with a
   * `TimeoutError` reason counts as failed (outcome "error": pressure for the budget), not as aborted.
   * @example await run.call({ promptTokens: 900 }, (ctx) => model.invoke(messages, { signal: ctx.signal }),
   *   { signal: AbortSignal.timeout(30_000) })
   */
  call<T>(spec: CallSpec, fn: (ctx: CallContext) => Promise<T>, options?: CallOptions): Promise<T> {
    const signal = options?.signal ?? null;
    const ops = this.#ops;
    const run = this.#run;
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      let ticket: CallTicket | null = null;
      let queued: CallRecord | null = null;
      let settled = false;
      const settle = (ok: boolean, value: unknown) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        if (ok) resolve(value as T);
        else reject(value);
      };
      const onAbort = () => {
        const reason = signal?.reason;
        if (ticket) ticket.fail(isTimeoutReason(reason) ? "error" : "aborted");
        else if (queued) ops.abortQueued(queued, reason);
        settle(false, reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      queued = ops.submit(
        run,
        spec,
        {
          onAdmit: (admitted) => {
            ticket = admitted;
            let pending: Promise<T>;
            try {
              pending = Promise.resolve(fn(admitted));
            } catch (error) {
              admitted.fail("error");
              settle(false, error);
              return;
            }
            pending.then(
              (value) => {
                admitted.complete();
                settle(true, value);
              },
              (error: unknown) => {
                admitted.fail(signal?.aborted && !isTimeoutReason(signal.reason) ? "aborted" : "error");
                settle(false, error);
              },
            );
          },
          onReject: (error) => settle(false, error),
        },
        signal,
      );
    });
  }

  /** Low-level form of {@link SchedulerRun.call}: `onAdmit` runs synchronously inside the admitting operation. */
  submit(spec: CallSpec, handlers: SubmitHandlers): QueuedCall {
    return this.#ops.submit(this.#run, spec, handlers, null);
  }

  updateEstimate(estimate: Partial<RunEstimate>): void {
    this.#ops.updateEstimate(this.#run, estimate);
  }

  park(info?: ToolPhaseInfo): void {
    this.#ops.park(this.#run, info);
  }

  unpark(): void {
    this.#ops.unpark(this.#run);
  }

  end(outcome: RunOutcome): void {
    this.#ops.end(this.#run, outcome);
  }
}
