/**
 * The runs an AugServe instance tracks and the records of those that ended: who is running, who waits for
 * the instance to go idle, whether it drains, and the timer that sweeps runs left without activity.
 */
import { AsyncResource } from "node:async_hooks";
import type { AgentRunRecord } from "./report.js";
import type { TrackedRun } from "./run-state.js";

/** Finished runs kept for `report()`; older ones are dropped first. */
const MAX_RECORDS = 100_000;

export class RunBook {
  readonly #runs = new Map<string, TrackedRun>();
  #records: AgentRunRecord[] = [];
  /** The record each ended run wrote (a run that goes on after a final answer replaces it when it ends). */
  readonly #recordOf = new WeakMap<TrackedRun, AgentRunRecord>();
  #idleWaiters: (() => void)[] = [];
  #draining = false;
  #swept = 0;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  readonly #idleTimeoutMs: number;
  readonly #abandon: (run: TrackedRun) => void;
  /**
   * The async context of the constructor: the sweep timer is started in it, not in the invocation that
   * happens to begin the first run (a timer keeps its creator's AsyncLocalStorage context, and with it that
   * invocation's LangGraph config, alive).
   */
  readonly #rootContext = new AsyncResource("AugServeSweeper");

  /** @param abandon ends a swept run (as `"abandoned"`). */
  constructor(idleTimeoutMs: number, abandon: (run: TrackedRun) => void) {
    this.#idleTimeoutMs = idleTimeoutMs;
    this.#abandon = abandon;
  }

  get size(): number {
    return this.#runs.size;
  }

  /** Tracked runs in a tool phase now. */
  get parked(): number {
    let parked = 0;
    for (const run of this.#runs.values()) if (run.parked) parked += 1;
    return parked;
  }

  /** Runs the sweep has ended so far. */
  get swept(): number {
    return this.#swept;
  }

  get draining(): boolean {
    return this.#draining;
  }

  get(runId: string): TrackedRun | undefined {
    return this.#runs.get(runId);
  }

  /** Starts tracking `run` (and the sweep timer, if it is not running). */
  track(run: TrackedRun): void {
    this.#runs.set(run.id, run);
    if (this.#sweeper !== undefined) return;
    // A quarter of the idle time-out, so a run is swept at most 25% late; bounded for very short and long ones.
    const period = Math.min(30_000, Math.max(10, this.#idleTimeoutMs / 4));
    this.#sweeper = this.#rootContext.runInAsyncScope(() => setInterval(() => this.sweep(), period));
    this.#sweeper.unref?.();
  }

  /** Stops tracking `run` and writes its record (in place of its earlier one, if it continued after one). */
  finish(run: TrackedRun, record: AgentRunRecord): void {
    this.#runs.delete(run.id);
    const earlier = this.#recordOf.get(run);
    // Searched from the end: a continued run ended moments ago.
    const at = earlier === undefined ? -1 : this.#records.lastIndexOf(earlier);
    if (at >= 0) this.#records[at] = record;
    else {
      if (this.#records.length >= MAX_RECORDS) this.#records = this.#records.slice(MAX_RECORDS / 10);
      this.#records.push(record);
    }
    this.#recordOf.set(run, record);
    if (this.#runs.size > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves when no run is tracked (at once when none is). */
  onIdle(): Promise<void> {
    if (this.#runs.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** From now on no new run may begin. */
  drain(): void {
    this.#draining = true;
  }

  /** Abandons every run with nothing under way and no activity for the idle time-out; returns how many. */
  sweep(): number {
    // The timer stops itself once nothing is tracked (stopping it at every idle moment would restart it for
    // every run of a sequential caller).
    if (this.#runs.size === 0) this.stop();
    const now = performance.now();
    let swept = 0;
    for (const run of [...this.#runs.values()]) {
      if (!run.busy && now - run.lastActivityMs >= this.#idleTimeoutMs) {
        this.#abandon(run);
        swept += 1;
        this.#swept += 1;
      }
    }
    return swept;
  }

  /** Stops the sweep timer (tracking a run starts it again). */
  stop(): void {
    if (this.#sweeper === undefined) return;
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  /** The records of finished runs (the array itself: callers copy). */
  get records(): readonly AgentRunRecord[] {
    return this.#records;
  }

  resetRecords(): void {
    this.#records = [];
  }
}
