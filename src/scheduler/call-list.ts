/**
 * An intrusive doubly linked list of calls: the links live on the call records themselves (one pair of
 * fields per list a call may be in), so membership costs no allocation and removal is O(1).
 */
import type { CallRecord } from "./call-record.js";

/** Which pair of fields of a call holds this list's links. */
export interface ListLinks {
  prev(call: CallRecord): CallRecord | null;
  next(call: CallRecord): CallRecord | null;
  set(call: CallRecord, prev: CallRecord | null, next: CallRecord | null): void;
  setPrev(call: CallRecord, prev: CallRecord | null): void;
  setNext(call: CallRecord, next: CallRecord | null): void;
}

/** The arrival-order links (`prev`, `next`). */
export const ARRIVAL_LINKS: ListLinks = {
  prev: (c) => c.prev,
  next: (c) => c.next,
  set: (c, prev, next) => {
    c.prev = prev;
    c.next = next;
  },
  setPrev: (c, prev) => {
    c.prev = prev;
  },
  setNext: (c, next) => {
    c.next = next;
  },
};

/** The viable-call links (`viablePrev`, `viableNext`). */
export const VIABLE_LINKS: ListLinks = {
  prev: (c) => c.viablePrev,
  next: (c) => c.viableNext,
  set: (c, prev, next) => {
    c.viablePrev = prev;
    c.viableNext = next;
  },
  setPrev: (c, prev) => {
    c.viablePrev = prev;
  },
  setNext: (c, next) => {
    c.viableNext = next;
  },
};

export class CallList {
  head: CallRecord | null = null;
  tail: CallRecord | null = null;
  size = 0;
  readonly #links: ListLinks;

  constructor(links: ListLinks) {
    this.#links = links;
  }

  /** Appends a call that is in no list of this kind. O(1). */
  append(call: CallRecord): void {
    const l = this.#links;
    l.set(call, this.tail, null);
    if (this.tail) l.setNext(this.tail, call);
    else this.head = call;
    this.tail = call;
    this.size += 1;
  }

  /** Unlinks a call that is in this list. O(1). */
  remove(call: CallRecord): void {
    const l = this.#links;
    const prev = l.prev(call);
    const next = l.next(call);
    if (prev) l.setNext(prev, next);
    else this.head = next;
    if (next) l.setPrev(next, prev);
    else this.tail = prev;
    l.set(call, null, null);
    this.size -= 1;
  }

  /** Whether `call` is linked here (head, tail, or has a neighbour in this list). O(1). */
  has(call: CallRecord): boolean {
    const l = this.#links;
    return this.head === call || l.prev(call) !== null;
  }
}
