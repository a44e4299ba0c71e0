/**
 * An indexed binary min-heap: every item knows its own position, so removing or re-keying an arbitrary
 * item is O(log n) instead of the O(n) search a plain heap needs.
 *
 * The heap does not own the items' keys. The caller mutates an item's key and then calls
 * {@link IndexedHeap.update}; the heap restores order by sifting that one item. Positions are stored on the
 * items through the `slot` accessors (one numeric field per heap the item may sit in), so an item can be in
 * several heaps at once without a side map. `-1` means "not in this heap".
 */

/** How a heap reads and writes an item's position. */
export interface HeapSlot<T> {
  get(item: T): number;
  set(item: T, index: number): void;
}

export class IndexedHeap<T> {
  readonly #items: T[] = [];
  readonly #less: (a: T, b: T) => boolean;
  readonly #slot: HeapSlot<T>;

  /**
   * @param less strict weak order: `true` when `a` must come out before `b`. Must be total on the items
   *   present (break ties, e.g. by an arrival sequence number) for the order to be deterministic.
   */
  constructor(less: (a: T, b: T) => boolean, slot: HeapSlot<T>) {
    this.#less = less;
    this.#slot = slot;
  }

  get size(): number {
    return this.#items.length;
  }

  /** The minimum, or `undefined` when empty. O(1). */
  peek(): T | undefined {
    return this.#items[0];
  }

  has(item: T): boolean {
    const index = this.#slot.get(item);
    return index >= 0 && index < this.#items.length && this.#items[index] === item;
  }

  /** Adds an item that is not in the heap. O(log n). */
  push(item: T): void {
    const index = this.#items.length;
    this.#items.push(item);
    this.#slot.set(item, index);
    this.#siftUp(index);
  }

  /** Removes and returns the minimum. O(log n). */
  pop(): T | undefined {
    const top = this.#items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  /** Removes `item` if present; returns whether it was. O(log n). */
  remove(item: T): boolean {
    if (!this.has(item)) return false;
    const index = this.#slot.get(item);
    const last = this.#items.pop() as T;
    this.#slot.set(item, -1);
    if (index < this.#items.length) {
      this.#items[index] = last;
      this.#slot.set(last, index);
      this.#restore(index);
    }
    return true;
  }

  /** Restores order after `item`'s key changed. O(log n). No-op when the item is not in the heap. */
  update(item: T): void {
    if (this.has(item)) this.#restore(this.#slot.get(item));
  }

  /**
   * Rebuilds the heap in O(n) (Floyd's heapify), after the caller changed many keys at once
   * (a scoring epoch change). Cheaper than n updates.
   */
  rebuild(): void {
    for (let i = (this.#items.length >> 1) - 1; i >= 0; i--) this.#siftDown(i);
  }

  /** Removes every item. O(n). */
  clear(): void {
    for (const item of this.#items) this.#slot.set(item, -1);
    this.#items.length = 0;
  }

  /** A copy of the items in heap (not sorted) order. O(n). */
  toArray(): T[] {
    return this.#items.slice();
  }

  /** Checks the heap property and the positions; for tests. O(n). */
  isValid(): boolean {
    const items = this.#items;
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as T;
      if (this.#slot.get(item) !== i) return false;
      const parent = (i - 1) >> 1;
      if (i > 0 && this.#less(item, items[parent] as T)) return false;
    }
    return true;
  }

  #restore(index: number): void {
    if (!this.#siftUp(index)) this.#siftDown(index);
  }

  /** Returns whether the item moved. */
  #siftUp(start: number): boolean {
    const items = this.#items;
    const item = items[start] as T;
    let index = start;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex] as T;
      if (!this.#less(item, parent)) break;
      items[index] = parent;
      this.#slot.set(parent, index);
      index = parentIndex;
    }
    items[index] = item;
    this.#slot.set(item, index);
    return index !== start;
  }

  #siftDown(start: number): void {
    const items = this.#items;
    const length = items.length;
    const item = items[start] as T;
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && this.#less(items[right] as T, items[left] as T)) child = right;
      const childItem = items[child] as T;
      if (!this.#less(childItem, item)) break;
      items[index] = childItem;
      this.#slot.set(childItem, index);
      index = child;
    }
    items[index] = item;
    this.#slot.set(item, index);
  }
}
