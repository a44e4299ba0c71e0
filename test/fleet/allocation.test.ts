/**
 * The share algorithm and the state checks of SYNC_LUA, driven through `FleetRedis.sync` against a real
 * redis-server: rank order within a tenant, weighted fair shares between tenants fleet-wide, the sum of the
 * leases reconciled from the holds, a stored budget clamped to the configured bounds, and the recovery of
 * lost state (a flush) capped at a fair share.
 */
import { describe, expect, it } from "vitest";
import { fleetKeys } from "../../src/fleet/index.js";
import type { DemandRecord } from "../../src/fleet/redis.js";
import { FleetRedis, type SyncRequest } from "../../src/fleet/redis.js";
import { useRedisServer } from "./support/redis-fixture.js";

const store = useRedisServer();
let n = 0;
const freshKey = () => `a${process.pid}-${++n}`;

const BUDGET = 8_000;
const BASE: Omit<SyncRequest, "floor" | "record"> = {
  ttlMs: 10_000,
  initialBudget: BUDGET,
  minBudget: BUDGET,
  maxBudget: BUDGET,
  known: false,
  liveHint: 1,
  prior: 0,
  hysteresis: 500,
  samples: { ttftSum: 0, ttftCount: 0, tokenMsSum: 0, tokens: 0, errors: 0 },
  server: "",
  takeLead: false,
};

/** A record of `inFlight` tokens and `queued` calls of `charge` each, for one tenant (or several). */
function rec(
  inFlight: number,
  queued: number,
  o: { rank?: number; charge?: number; tenants?: Record<string, [number, number]> } = {},
): DemandRecord {
  const charge = o.charge ?? 500;
  const d = inFlight + queued * charge;
  const t: DemandRecord["t"] = {};
  const tenants: Record<string, [number, number]> = o.tenants ?? { "": [inFlight, queued] };
  for (const [id, [f, q]] of Object.entries(tenants)) t[id] = [f, f + q * charge, 1];
  return { f: inFlight, d, n: inFlight + (queued > 0 ? charge : 0), q: queued, r: o.rank ?? 1, s: 0, t };
}

async function connect(key: string): Promise<FleetRedis> {
  const r = new FleetRedis(store.redis.url, fleetKeys(key, "default"), 2_000);
  await r.whenConnected(5_000);
  return r;
}

describe("SYNC_LUA - the share algorithm", () => {
  it("within a tenant, tokens in flight first, then the more urgent rank", async () => {
    const key = freshKey();
    const r = await connect(key);
    try {
      // A holds the whole budget in flight; B (rank 1, interactive) and C (rank 3, background) queue.
      expect((await r.sync("A", { ...BASE, floor: 8_000, record: rec(8_000, 0) })).held).toBe(8_000);
      const b = await r.sync("B", { ...BASE, floor: 0, record: rec(0, 8, { rank: 1 }) });
      const c = await r.sync("C", { ...BASE, floor: 0, record: rec(0, 8, { rank: 3 }) });
      // Nothing is free: both wait, but B's allocation is taken before C's.
      expect(b.held).toBe(0);
      expect(c.held).toBe(0);
      // A's calls end: it keeps 4,000 in flight and queues nothing more.
      const a = await r.sync("A", { ...BASE, floor: 4_000, record: rec(4_000, 0) });
      expect(a.held).toBe(4_000);
      const c2 = await r.sync("C", { ...BASE, floor: 0, record: rec(0, 8, { rank: 3 }) });
      const b2 = await r.sync("B", { ...BASE, floor: 0, record: rec(0, 8, { rank: 1 }) });
      expect(b2.alloc).toBe(4_000);
      expect(b2.held).toBe(4_000);
      expect(c2.alloc).toBe(0);
      expect(Number(await store.admin.hget(fleetKeys(key, "default").state, "leased"))).toBe(8_000);
    } finally {
      await r.close();
    }
  });

  it("two tenants spread unevenly over 4 processes get equal shares fleet-wide; weights move them", async () => {
    const key = freshKey();
    const r = await connect(key);
    try {
      const procs: { id: string; tenants: Record<string, [number, number]> }[] = [
        { id: "p0", tenants: { x: [0, 40] } },
        { id: "p1", tenants: { x: [0, 40] } },
        { id: "p2", tenants: { x: [0, 10], y: [0, 10] } },
        { id: "p3", tenants: { y: [0, 40] } },
      ];
      const shares = async (weights: Record<string, number>) => {
        const byTenant: Record<string, number> = {};
        for (let round = 0; round < 2; round++) {
          for (const p of procs) {
            const record = rec(0, 0, { tenants: p.tenants });
            for (const [t, w] of Object.entries(weights)) if (record.t[t]) (record.t[t] as number[])[2] = w;
            const reply = await r.sync(p.id, { ...BASE, floor: 0, record });
            if (round === 1) for (const [t, v] of reply.tenants) byTenant[t] = (byTenant[t] ?? 0) + v;
          }
        }
        return byTenant;
      };
      const equal = await shares({});
      expect(equal.x).toBeCloseTo(BUDGET / 2, -1);
      expect(equal.y).toBeCloseTo(BUDGET / 2, -1);
      const weighted = await shares({ x: 3, y: 1 });
      expect(weighted.x).toBeCloseTo((BUDGET * 3) / 4, -1);
      expect(weighted.y).toBeCloseTo(BUDGET / 4, -1);
    } finally {
      await r.close();
    }
  });
});

describe("SYNC_LUA - whatever the key holds", () => {
  it("the sum of the leases is reconciled from the holds: a `leased` reset to 0 grants nothing extra", async () => {
    const key = freshKey();
    const k = fleetKeys(key, "default");
    const r = await connect(key);
    try {
      expect((await r.sync("A", { ...BASE, floor: 6_000, record: rec(6_000, 0) })).held).toBe(6_000);
      await store.admin.hset(k.state, "leased", "0");
      const b = await r.sync("B", { ...BASE, floor: 0, record: rec(0, 20) });
      expect(b.held).toBe(2_000);
      expect(b.leased).toBe(8_000);
    } finally {
      await r.close();
    }
  });

  it("a stored budget above the configured maximum is clamped to it", async () => {
    const key = freshKey();
    const k = fleetKeys(key, "default");
    const r = await connect(key);
    try {
      await r.sync("A", { ...BASE, floor: 0, record: rec(0, 0) });
      await store.admin.hset(k.state, "budget", String(BUDGET * 10));
      const a = await r.sync("A", { ...BASE, floor: 0, record: rec(0, 100) });
      expect(a.budget).toBe(BUDGET);
      expect(a.held).toBeLessThanOrEqual(BUDGET);
    } finally {
      await r.close();
    }
  });

  it("lost state (a flush) is recovered within the leases the members last held", async () => {
    const key = freshKey();
    const r = await connect(key);
    try {
      // Uneven leases: A 4,000 (busy), B, C, D 1,333 each.
      const held: Record<string, number> = {};
      for (const [id, q] of [
        ["A", 24],
        ["B", 8],
        ["C", 8],
        ["D", 8],
      ] as const)
        held[id] = (await r.sync(id, { ...BASE, floor: 0, record: rec(0, q), liveHint: 4 })).held;
      for (const id of ["A", "B", "C", "D"])
        held[id] = (await r.sync(id, { ...BASE, floor: 0, record: rec(0, id === "A" ? 24 : 8) })).held;
      const before = Object.values(held).reduce((a, b) => a + b, 0);
      expect(before).toBeLessThanOrEqual(BUDGET);
      expect(held.A).toBeGreaterThan(BUDGET / 4);
      await store.admin.flushall();
      // B held a lease: it finds no state, so the fleet recovers for one TTL. B now wants everything, but gets
      // no more than it held: A, which Redis has not heard from again, may still hold its 4,000.
      const b = await r.sync("B", {
        ...BASE,
        known: true,
        prior: held.B as number,
        floor: 0,
        record: rec(0, 40),
      });
      expect(b.recovering).toBe(true);
      expect(b.held).toBeLessThanOrEqual(held.B as number);
      // A newcomer gets nothing beyond its tokens in flight until the recovery ends.
      const e = await r.sync("E", { ...BASE, floor: 0, record: rec(0, 20) });
      expect(e.held).toBe(0);
      const a = await r.sync("A", {
        ...BASE,
        known: true,
        prior: held.A as number,
        floor: 3_000,
        record: rec(3_000, 20),
      });
      expect(a.held + b.held + e.held + (held.C as number) + (held.D as number)).toBeLessThanOrEqual(BUDGET);
    } finally {
      await r.close();
    }
  });
});
