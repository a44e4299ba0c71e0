import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CallRecord } from "../../src/scheduler/call-record.js";
import { OrderIndex } from "../../src/scheduler/order-index.js";

/** The fields the index reads of a call (a real CallRecord needs a scheduler around it). */
type Indexed = Pick<CallRecord, "callId" | "tier" | "key" | "queuedCharge" | "orderNode">;

const before = (a: Indexed, tier: number, key: number, id: number) =>
  a.tier !== tier ? a.tier < tier : a.key !== key ? a.key < key : a.callId < id;

describe("OrderIndex", () => {
  it(".tokensBefore() - equals the brute-force sum over random inserts, re-keys and removals", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            op: fc.constantFrom("insert", "insert", "rekey", "remove"),
            pick: fc.nat(),
            tier: fc.integer({ min: 0, max: 4 }),
            key: fc.integer({ min: -50, max: 50 }),
            charge: fc.nat(1_000),
          }),
          { maxLength: 200 },
        ),
        (ops) => {
          const index = new OrderIndex();
          const live: Indexed[] = [];
          let nextId = 1;
          for (const o of ops) {
            const target = live[o.pick % Math.max(1, live.length)];
            if (o.op === "insert" || !target) {
              const call: Indexed = {
                callId: nextId++,
                tier: o.tier,
                key: o.key,
                queuedCharge: o.charge,
                orderNode: null,
              };
              live.push(call);
              index.insert(call as CallRecord);
            } else if (o.op === "rekey") {
              index.remove(target as CallRecord);
              target.tier = o.tier;
              target.key = o.key;
              target.queuedCharge = o.charge;
              index.insert(target as CallRecord);
            } else {
              index.remove(target as CallRecord);
              live.splice(live.indexOf(target), 1);
            }
            expect(index.isValid()).toBe(true);
            const probe = { tier: o.tier, key: o.key, id: o.pick % (nextId + 1) };
            const expected = live
              .filter((c) => before(c, probe.tier, probe.key, probe.id))
              .reduce((sum, c) => sum + c.queuedCharge, 0);
            expect(index.tokensBefore(probe.tier, probe.key, probe.id)).toBe(expected);
          }
          expect(index.size).toBe(live.length);
          expect(index.totalTokens).toBe(live.reduce((sum, c) => sum + c.queuedCharge, 0));
        },
      ),
      { numRuns: 100 },
    );
  });
});
