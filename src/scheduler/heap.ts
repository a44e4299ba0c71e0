/**
 * An indexed binary min-heap: every item knows its own position, so removing or re-keying an arbitrary
 * item is O(log n) instead of the O(n) search a plain heap needs.
 *
 * Order is lexicographic on three numbers per item (primary, secondary, tie), read through {@link HeapKeys}
 * when the item is pushed or updated and kept in parallel `Float64Array`s: a comparison while sifting reads
 * two adjacent typed-array slots instead of dereferencing two objects scattered over the JS heap, which is
 * what dominates at 10^5 items (cache misses). The caller changes an item's keys and then calls
 * {@link IndexedHeap.update}; keys changed without `update` are not seen.
 *
 * Positions are stored on the items through {@link HeapSlot} (one numeric field per heap the item may sit
 * in), so an item can be in several heaps at once without a side map. `-1` means "not in this heap".
 */

/** How a heap reads and writes an item's position. */
export interface HeapSlot<T> {
  get(item: T): number;
  set(item: T, index: number): void;
}

/** The item's sort keys, compared lexicographically; `tie` should make the order total (determinism). */
export interface HeapKeys<T> {
  primary(item: T): number;
  secondary(item: T): number;
  tie(item: T): number;
}

export class IndexedHeap<T> {
  readonly #items: T[] = [];
  #k1 = new Float64Array(16);
  #k2 = new Float64Array(16);
  #k3 = new Float64Array(16);
  readonly #keys: HeapKeys<T>;
  readonly #slot: HeapSlot<T>;

  constructor(keys: HeapKeys<T>, slot: HeapSlot<T>) {
    this.#keys = keys;
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
    if (index === this.#k1.length) this.#grow();
    this.#items.push(item);
    this.#slot.set(item, index);
    this.#readKeys(item, index);
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
    const lastIndex = this.#items.length - 1;
    const last = this.#items.pop() as T;
    this.#slot.set(item, -1);
    if (index < lastIndex) {
      this.#items[index] = last;
      this.#k1[index] = this.#k1[lastIndex] as number;
      this.#k2[index] = this.#k2[lastIndex] as number;
      this.#k3[index] = this.#k3[lastIndex] as number;
      this.#slot.set(last, index);
      if (!this.#siftUp(index)) this.#siftDown(index);
    }
    return true;
  }

  /** Re-reads `item`'s keys and restores order. O(log n). No-op when the item is not in the heap. */
  update(item: T): void {
    if (!this.has(item)) return;
    const index = this.#slot.get(item);
    this.#readKeys(item, index);
    if (!this.#siftUp(index)) this.#siftDown(index);
  }

  /** Re-reads every key and rebuilds in O(n) (Floyd's heapify), after many keys changed at once. */
  rebuild(): void {
    this.#items.forEach((item, index) => {
      this.#readKeys(item, index);
    });
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

  /** Checks positions, stored keys and the heap property; for tests. O(n). */
  isValid(): boolean {
    const items = this.#items;
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as T;
      if (this.#slot.get(item) !== i) return false;
      const k = this.#keys;
      if (
        this.#k1[i] !== k.primary(item) ||
        this.#k2[i] !== k.secondary(item) ||
        this.#k3[i] !== k.tie(item)
      ) {
        return false;
      }
      if (i > 0 && this.#less(i, (i - 1) >> 1)) return false;
    }
    return true;
  }

  #readKeys(item: T, index: number): void {
    this.#k1[index] = this.#keys.primary(item);
    this.#k2[index] = this.#keys.secondary(item);
    this.#k3[index] = this.#keys.tie(item);
  }

  #grow(): void {
    const grow = (old: Float64Array) => {
      const next = new Float64Array(old.length * 2);
      next.set(old);
      return next;
    };
    this.#k1 = grow(this.#k1);
    this.#k2 = grow(this.#k2);
    this.#k3 = grow(this.#k3);
  }

  #less(i: number, j: number): boolean {
    const k1 = this.#k1;
    if (k1[i] !== k1[j]) return (k1[i] as number) < (k1[j] as number);
    const k2 = this.#k2;
    if (k2[i] !== k2[j]) return (k2[i] as number) < (k2[j] as number);
    return (this.#k3[i] as number) < (this.#k3[j] as number);
  }

  /** Whether the keys at `i` order before (a1, a2, a3). */
  #lessThan(i: number, a1: number, a2: number, a3: number): boolean {
    const b1 = this.#k1[i] as number;
    if (b1 !== a1) return b1 < a1;
    const b2 = this.#k2[i] as number;
    if (b2 !== a2) return b2 < a2;
    return (this.#k3[i] as number) < a3;
  }

  /** Moves the entry at `from` into the hole at `to`. */
  #move(from: number, to: number): void {
    const item = this.#items[from] as T;
    this.#items[to] = item;
    this.#k1[to] = this.#k1[from] as number;
    this.#k2[to] = this.#k2[from] as number;
    this.#k3[to] = this.#k3[from] as number;
    this.#slot.set(item, to);
  }

  #place(item: T, index: number, a1: number, a2: number, a3: number): void {
    this.#items[index] = item;
    this.#k1[index] = a1;
    this.#k2[index] = a2;
    this.#k3[index] = a3;
    this.#slot.set(item, index);
  }

  /** Hole-based sift: parents move down one write each, the item is placed once. Returns whether it moved. */
  #siftUp(start: number): boolean {
    const item = this.#items[start] as T;
    const a1 = this.#k1[start] as number;
    const a2 = this.#k2[start] as number;
    const a3 = this.#k3[start] as number;
    let index = start;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      // Move up while the item orders strictly before its parent.
      const p1 = this.#k1[parent] as number;
      const before =
        a1 !== p1
          ? a1 < p1
          : a2 !== this.#k2[parent]
            ? a2 < (this.#k2[parent] as number)
            : a3 < (this.#k3[parent] as number);
      if (!before) break;
      this.#move(parent, index);
      index = parent;
    }
    if (index !== start) this.#place(item, index, a1, a2, a3);
    return index !== start;
  }

  #siftDown(start: number): void {
    const length = this.#items.length;
    const item = this.#items[start] as T;
    const a1 = this.#k1[start] as number;
    const a2 = this.#k2[start] as number;
    const a3 = this.#k3[start] as number;
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && this.#less(right, left) ? right : left;
      if (!this.#lessThan(child, a1, a2, a3)) break;
      this.#move(child, index);
      index = child;
    }
    if (index !== start) this.#place(item, index, a1, a2, a3);
  }
}
