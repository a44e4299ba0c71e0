/**
 * The waiting queue of the engine: it owns only the order in which waiting requests are admitted.
 *
 * - `fcfs`: arrival order; a preempted request goes back to the front (vLLM V1 prepends it).
 * - `priority`: lower `priority` first, ties by arrival order (vLLM's `(priority, arrival_time)` key); a
 *   preempted request keeps its key, so it goes back where it came from.
 */
import { UnknownSchedulingPolicyError } from "../errors.js";

export const SCHEDULING_POLICIES = ["fcfs", "priority"] as const;
export type SchedulingPolicy = (typeof SCHEDULING_POLICIES)[number];

/** What the queues order by. */
export interface Queued {
  priority: number;
  /** Arrival order, unique and increasing. */
  arrival: number;
}

export interface RequestQueue<T extends Queued> {
  readonly size: number;
  /** Adds a newly arrived request. */
  push(item: T): void;
  /** Puts back a preempted request. */
  pushPreempted(item: T): void;
  peek(): T | undefined;
  pop(): T | undefined;
  /** Removes a request wherever it is (abort); O(n). */
  remove(item: T): boolean;
}

/** Arrival order with O(1) push, pop and push-front (an array with a moving head, compacted lazily). */
export class FcfsQueue<T extends Queued> implements RequestQueue<T> {
  #items: T[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }
  push(item: T): void {
    this.#items.push(item);
  }
  pushPreempted(item: T): void {
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
  }
  peek(): T | undefined {
    return this.#items[this.#head];
  }
  pop(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head++];
    // Amortised O(1): compact once the dead head is both large and most of the array.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
  remove(item: T): boolean {
    const at = this.#items.indexOf(item, this.#head);
    if (at < 0) return false;
    this.#items.splice(at, 1);
    return true;
  }
}

function before(a: Queued, b: Queued): boolean {
  return a.priority < b.priority || (a.priority === b.priority && a.arrival < b.arrival);
}

/** Binary heap on `(priority, arrival)`. */
export class PriorityQueue<T extends Queued> implements RequestQueue<T> {
  #heap: T[] = [];

  get size(): number {
    return this.#heap.length;
  }
  push(item: T): void {
    this.#heap.push(item);
    this.#up(this.#heap.length - 1);
  }
  pushPreempted(item: T): void {
    this.push(item);
  }
  peek(): T | undefined {
    return this.#heap[0];
  }
  pop(): T | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      this.#down(0);
    }
    return top;
  }
  remove(item: T): boolean {
    const heap = this.#heap;
    const at = heap.indexOf(item);
    if (at < 0) return false;
    const last = heap.pop() as T;
    if (at < heap.length) {
      heap[at] = last;
      this.#down(at);
      this.#up(at);
    }
    return true;
  }
  #up(at: number): void {
    const heap = this.#heap;
    const item = heap[at] as T;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!before(item, heap[parent] as T)) break;
      heap[at] = heap[parent] as T;
      at = parent;
    }
    heap[at] = item;
  }
  #down(at: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const item = heap[at] as T;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= n) break;
      if (child + 1 < n && before(heap[child + 1] as T, heap[child] as T)) child++;
      if (!before(heap[child] as T, item)) break;
      heap[at] = heap[child] as T;
      at = child;
    }
    heap[at] = item;
  }
}

/** The queue for a policy name; throws `UnknownSchedulingPolicyError` on anything else. */
export function createRequestQueue<T extends Queued>(policy: string): RequestQueue<T> {
  switch (policy) {
    case "fcfs":
      return new FcfsQueue<T>();
    case "priority":
      return new PriorityQueue<T>();
    default:
      throw new UnknownSchedulingPolicyError(policy);
  }
}
