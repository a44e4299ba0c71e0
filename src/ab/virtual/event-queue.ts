/**
 * The discrete-event simulation's agenda: a binary min-heap of events keyed by (time, sequence number).
 * The sequence number makes the order of simultaneous events the order they were scheduled in, so a run of
 * the simulation is a pure function of its inputs. push/pop are O(log n).
 */

interface Entry<T> {
  time: number;
  seq: number;
  event: T;
}

export class EventQueue<T> {
  #heap: Entry<T>[] = [];
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  /** Time of the earliest event, or `Infinity` when empty. */
  peekTime(): number {
    return this.#heap[0]?.time ?? Number.POSITIVE_INFINITY;
  }

  /** Schedules `event` at `time` (a finite number). */
  push(time: number, event: T): void {
    if (!Number.isFinite(time)) throw new RangeError(`Expected a finite event time, got ${time}`);
    const heap = this.#heap;
    const entry = { time, seq: this.#seq++, event };
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent] as Entry<T>)) break;
      heap[i] = heap[parent] as Entry<T>;
      i = parent;
    }
    heap[i] = entry;
  }

  /** Removes and returns the earliest event with its time, or `undefined` when empty. */
  pop(): { time: number; event: T } | undefined {
    const heap = this.#heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop() as Entry<T>;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child =
          right < heap.length && before(heap[right] as Entry<T>, heap[left] as Entry<T>) ? right : left;
        if (!before(heap[child] as Entry<T>, last)) break;
        heap[i] = heap[child] as Entry<T>;
        i = child;
      }
      heap[i] = last;
    }
    return { time: top.time, event: top.event };
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
