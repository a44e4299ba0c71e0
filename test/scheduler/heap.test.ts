import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IndexedHeap } from "../../src/scheduler/heap.js";

interface Item {
  key: number;
  id: number;
  index: number;
}

function makeHeap(): IndexedHeap<Item> {
  return new IndexedHeap<Item>(
    { primary: (item) => item.key, secondary: () => 0, tie: (item) => item.id },
    {
      get: (item) => item.index,
      set: (item, index) => {
        item.index = index;
      },
    },
  );
}

const byKey = (a: Item, b: Item) => a.key - b.key || a.id - b.id;

describe("IndexedHeap", () => {
  it(".push()/.pop() - pops in key order, ties by the tie-break", () => {
    const heap = makeHeap();
    const items = [5, 1, 4, 1, 3].map((key, id) => ({ key, id, index: -1 }));
    for (const item of items) heap.push(item);
    const popped: number[] = [];
    for (let item = heap.pop(); item; item = heap.pop()) popped.push(item.id);
    expect(popped).toEqual([1, 3, 4, 2, 0]);
    expect(items.every((item) => item.index === -1)).toBe(true);
  });

  it(".remove() - removes any item and keeps the order; false when absent", () => {
    const heap = makeHeap();
    const items = Array.from({ length: 20 }, (_, id) => ({ key: (id * 7) % 11, id, index: -1 }));
    for (const item of items) heap.push(item);
    expect(heap.remove(items[3] as Item)).toBe(true);
    expect(heap.remove(items[3] as Item)).toBe(false);
    expect(heap.has(items[3] as Item)).toBe(false);
    expect(heap.isValid()).toBe(true);
    expect(heap.size).toBe(19);
  });

  it(".update() - restores order after a key moves up or down", () => {
    const heap = makeHeap();
    const items = Array.from({ length: 10 }, (_, id) => ({ key: id, id, index: -1 }));
    for (const item of items) heap.push(item);
    (items[9] as Item).key = -1;
    heap.update(items[9] as Item);
    expect(heap.peek()?.id).toBe(9);
    (items[9] as Item).key = 100;
    heap.update(items[9] as Item);
    expect(heap.peek()?.id).toBe(0);
    expect(heap.isValid()).toBe(true);
  });

  it(".rebuild()/.clear() - heapify after many key changes; clear empties", () => {
    const heap = makeHeap();
    const items = Array.from({ length: 50 }, (_, id) => ({ key: id, id, index: -1 }));
    for (const item of items) heap.push(item);
    for (const item of items) item.key = 50 - item.id;
    heap.rebuild();
    expect(heap.isValid()).toBe(true);
    expect(heap.peek()?.id).toBe(49);
    heap.clear();
    expect(heap.size).toBe(0);
    expect(items.every((item) => item.index === -1)).toBe(true);
  });

  it("matches a sorted-array model under random push/pop/remove/update (property)", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("push" as const), key: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ kind: fc.constant("pop" as const) }),
      fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }),
      fc.record({
        kind: fc.constant("update" as const),
        pick: fc.nat(),
        key: fc.integer({ min: 0, max: 20 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const heap = makeHeap();
        let model: Item[] = [];
        let nextId = 0;
        for (const o of ops) {
          if (o.kind === "push") {
            const item = { key: o.key, id: nextId++, index: -1 };
            heap.push(item);
            model.push(item);
          } else if (o.kind === "pop") {
            model.sort(byKey);
            expect(heap.pop()).toBe(model.shift());
          } else if (model.length > 0) {
            const item = model[o.pick % model.length] as Item;
            if (o.kind === "remove") {
              heap.remove(item);
              model = model.filter((m) => m !== item);
            } else {
              item.key = o.key;
              heap.update(item);
            }
          }
          expect(heap.size).toBe(model.length);
          expect(heap.isValid()).toBe(true);
          model.sort(byKey);
          expect(heap.peek()).toBe(model[0]);
        }
      }),
      { numRuns: 200 },
    );
  });
});
