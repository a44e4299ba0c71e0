/**
 * A fleet of four members under load, against a real redis-server and a token server that measures the
 * tokens in flight from the server's side: faults in Redis (a foreign value, `leased` reset, a flush, a
 * corrupted budget, lost records, a hung Redis, Redis stopped and restarted) never take the fleet above
 * 1.1x its budget, and every member keeps serving. Then: admission without round trips while the lease has
 * room, and fleet-wide fair shares between tenants spread unevenly over the members.
 *
 * Members are schedulers in this process, each with its own Redis connections and process id (the protocol
 * is the same as between processes; test/fleet/shared-budget.test.ts covers real child processes). Nothing
 * here waits on wall-clock durations for its verdict: loads run until a number of calls completed.
 */
import { describe, expect, it } from "vitest";
import { createSharedScheduler, fleetKeys, type SharedScheduler } from "../../src/fleet/index.js";
import { waitFor } from "../support/wait.js";
import { useRedisServer } from "./support/redis-fixture.js";
import { TokenServer } from "./support/token-server.js";

const store = useRedisServer();
let keyCounter = 0;
const freshKey = () => `f${process.pid}-${++keyCounter}`;

const BUDGET = 6_000;
const CHARGE = 500;
const features = {
  promptTokens: CHARGE,
  remainingToolRounds: 0,
  outputTokensPerCall: 0,
  finalOutputTokens: 0,
};

function member(key: string, id: string, extra: Record<string, unknown> = {}): SharedScheduler {
  return createSharedScheduler({
    budget: { mode: "fixed", tokens: BUDGET },
    shared: {
      redis: store.redis.url,
      key,
      processId: id,
      chunkTokens: 1_000,
      leaseTtlMs: 1_500,
      commandTimeoutMs: 300,
      registry: null,
      log: () => {},
      ...extra,
    },
  });
}

/** Workers that call in a loop until stopped; counts completions and failures. */
class Load {
  completed = 0;
  failed = 0;
  #stop = false;
  #loops: Promise<void>[] = [];

  constructor(
    server: TokenServer,
    plan: { member: SharedScheduler; tenant: string; workers: number }[],
    holdMs = 20,
  ) {
    let n = 0;
    for (const p of plan) {
      for (let w = 0; w < p.workers; w++) {
        this.#loops.push(
          (async () => {
            while (!this.#stop) {
              const id = `c${n++}`;
              const run = p.member.beginRun({ features, tenant: p.tenant });
              try {
                await run.call({ promptTokens: CHARGE, expectedOutputTokens: 0 }, async () => {
                  const res = await fetch(
                    `${server.url}/call?charge=${CHARGE}&holdMs=${holdMs}&id=${id}&tenant=${p.tenant}`,
                  );
                  await res.text();
                });
                this.completed += 1;
              } catch {
                this.failed += 1;
              } finally {
                run.end("ok");
              }
            }
          })(),
        );
      }
    }
  }

  /** Resolves after `calls` more completions. */
  async more(calls: number, timeoutMs = 60_000): Promise<void> {
    const target = this.completed + calls;
    await waitFor(() => this.completed >= target, timeoutMs, 10);
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await Promise.all(this.#loops);
  }
}

async function fleetOf(key: string, size = 4, extra: Record<string, unknown> = {}) {
  const members = Array.from({ length: size }, (_, i) => member(key, `m${i}`, extra));
  await Promise.all(members.map((m) => m.fleet.ready()));
  return members;
}

describe("SharedBudget - faults in Redis never take the fleet above 1.1x its budget", () => {
  const faults: [string, (key: string) => Promise<() => Promise<void>>][] = [
    [
      "a foreign value under the state key",
      async (key) => {
        const k = fleetKeys(key, "default");
        await store.admin.del(k.state);
        await store.admin.set(k.state, "someone else's value");
        return async () => void (await store.admin.del(k.state));
      },
    ],
    [
      "`leased` reset to 0",
      async (key) => {
        await store.admin.hset(fleetKeys(key, "default").state, "leased", "0");
        return async () => {};
      },
    ],
    [
      "the budget overwritten with 10x",
      async (key) => {
        await store.admin.hset(fleetKeys(key, "default").state, "budget", String(BUDGET * 10));
        return async () => {};
      },
    ],
    [
      "a flush",
      async () => {
        await store.admin.flushall();
        return async () => {};
      },
    ],
    [
      "the records and the live set deleted",
      async (key) => {
        const k = fleetKeys(key, "default");
        await store.admin.del(k.demand, k.live);
        return async () => {};
      },
    ],
    [
      "Redis hung (SIGSTOP) for a while",
      async () => {
        store.redis.freeze();
        return async () => store.redis.thaw();
      },
    ],
    [
      "Redis stopped and restarted empty",
      async () => {
        await store.redis.pause();
        return async () => store.redis.resume();
      },
    ],
  ];

  for (const [name, inject] of faults) {
    it(name, async () => {
      const server = await TokenServer.start();
      const key = freshKey();
      const members = await fleetOf(key);
      const load = new Load(
        server,
        members.map((m) => ({ member: m, tenant: "", workers: 6 })),
      );
      try {
        await load.more(100);
        server.maxInFlight = server.inFlight;
        const undo = await inject(key);
        await load.more(150);
        await undo();
        await load.more(150);
        await waitFor(() => members.every((m) => m.fleet.mode === "joined"), 20_000);
        await load.more(100);
        // Calls of 500 tokens against 6,000: 1.1x is one call over.
        expect(server.maxInFlight).toBeLessThanOrEqual(BUDGET * 1.1);
        expect(load.failed).toBe(0);
        expect(server.duplicates()).toEqual([]);
      } finally {
        if (!store.redis.running) await store.redis.resume();
        store.redis.thaw();
        await load.stop();
        await Promise.all(members.map((m) => m.close()));
        await server.close();
      }
    }, 90_000);
  }
});

describe("SharedBudget - the hot path", () => {
  it("admits calls without a Redis round trip while the lease has room", async () => {
    const server = await TokenServer.start();
    const key = freshKey();
    // A long refresh, so that no renewal falls inside the measured calls however slow the machine is.
    const [m] = await fleetOf(key, 1, { leaseTtlMs: 60_000, idleReturnMs: 60_000 });
    const s = m as SharedScheduler;
    try {
      const load = new Load(server, [{ member: s, tenant: "", workers: 1 }]);
      await load.more(3);
      const before = s.fleetStats().roundTrips;
      await load.more(40);
      await load.stop();
      expect(s.fleetStats().roundTrips - before).toBe(0);
    } finally {
      await s.close();
      await server.close();
    }
  });
});

describe("SharedBudget - fleet-wide fair shares between tenants", () => {
  // Workers per tenant and member. Each tenant has far more workers than its share of the budget (6 calls of
  // 500 tokens) needs, so that a slow machine's client overhead between calls cannot starve a tenant's demand:
  // what is measured is the protocol's split, not how fast this machine turns calls around.
  const layouts: [string, Record<string, number>[]][] = [
    // x on three members, y on one.
    ["x on 3 members, y on 1", [{ x: 8 }, { x: 8 }, { x: 8 }, { y: 24 }]],
    // x everywhere, y only where x is too: the shares must hold inside that member as well.
    ["x on 4 members, y on 1 of them", [{ x: 8 }, { x: 8 }, { x: 8 }, { x: 8, y: 24 }]],
  ];
  for (const [name, layout] of layouts) {
    it(`two equal-weight tenants get equal shares of a contended replica within 10%: ${name}`, async () => {
      const server = await TokenServer.start();
      const key = freshKey();
      const members = await fleetOf(key, 4, { leaseTtlMs: 1_200 });
      const plan = layout.flatMap((tenants, i) =>
        Object.entries(tenants).map(([tenant, workers]) => ({
          member: members[i] as SharedScheduler,
          tenant,
          workers,
        })),
      );
      const load = new Load(server, plan, 60);
      try {
        await load.more(300);
        server.resetTenantShares();
        await load.more(600);
        const x = server.tenantTokenMs.get("x") ?? 0;
        const y = server.tenantTokenMs.get("y") ?? 0;
        expect(x).toBeGreaterThan(0);
        expect(Math.abs(x - y) / ((x + y) / 2)).toBeLessThanOrEqual(0.1);
      } finally {
        await load.stop();
        await Promise.all(members.map((m) => m.close()));
        await server.close();
      }
    }, 90_000);
  }
});
