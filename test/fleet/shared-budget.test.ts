/**
 * The fleet's shared budget against a real redis-server (started here on a loopback port with a temporary
 * directory; found or installed by test/support/redis-server.ts), never a mock. Processes are real child
 * processes where the case is about processes (sharing, SIGKILL); elsewhere several schedulers in this process,
 * each with its own Redis connections and process id, which is the same protocol.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  createSharedScheduler,
  FleetKeyError,
  FleetOptionsError,
  fleetKeys,
  type SharedScheduler,
} from "../../src/fleet/index.js";
import { FleetRedis } from "../../src/fleet/redis.js";
import type { SchedulerOptions } from "../../src/scheduler/options.js";
import { waitFor } from "../support/wait.js";
import { useRedisServer } from "./support/redis-fixture.js";
import { TokenServer } from "./support/token-server.js";

const CHILD = fileURLToPath(new URL("./support/member-child.ts", import.meta.url));
const store = useRedisServer();
let keyCounter = 0;
const freshKey = () => `t${process.pid}-${++keyCounter}`;

interface Child {
  process: ChildProcess;
  lines: Record<string, unknown>[];
  waitFor(event: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

function startChild(options: Record<string, unknown>): Child {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, JSON.stringify(options)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: Record<string, unknown>[] = [];
  const listeners: (() => void)[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    lines.push(JSON.parse(line) as Record<string, unknown>);
    for (const l of listeners) l();
  });
  return {
    process: child,
    lines,
    async waitFor(event, timeoutMs = 30_000) {
      await waitFor(() => lines.some((l) => l.event === event), timeoutMs, 20);
      return lines.find((l) => l.event === event) as Record<string, unknown>;
    },
  };
}

const SYNC_BASE = {
  ttlMs: 5_000,
  initialBudget: 3_000,
  minBudget: 3_000,
  maxBudget: 3_000,
  known: false,
  liveHint: 1,
  prior: 0,
  hysteresis: 500,
  samples: { ttftSum: 0, ttftCount: 0, tokenMsSum: 0, tokens: 0, errors: 0 },
  server: "",
  takeLead: false,
};
const RECORD = { f: 0, d: 500, n: 500, q: 1, r: 1, s: 0, t: { "": [0, 500, 1] as [number, number, number] } };

const features = { promptTokens: 500, remainingToolRounds: 0, outputTokensPerCall: 0, finalOutputTokens: 0 };

function member(
  key: string,
  id: string,
  extra: Record<string, unknown> = {},
  budget: SchedulerOptions["budget"] = { mode: "fixed", tokens: 4_000 },
): SharedScheduler {
  return createSharedScheduler({
    budget,
    shared: {
      redis: store.redis.url,
      key,
      processId: id,
      chunkTokens: 1_000,
      registry: null,
      log: () => {},
      ...extra,
    },
  });
}

/** One call of `charge` tokens held `holdMs` at the token server. */
async function oneCall(s: SharedScheduler, server: TokenServer, id: string, charge = 500, holdMs = 10) {
  const run = s.beginRun({ features: { ...features, promptTokens: charge } });
  try {
    await run.call({ promptTokens: charge, expectedOutputTokens: 0 }, async () => {
      const res = await fetch(`${server.url}/call?charge=${charge}&holdMs=${holdMs}&id=${id}`);
      await res.text();
    });
  } finally {
    run.end("ok");
  }
}

describe("createSharedScheduler({ shared }) - Validation", () => {
  it("rejects bad shared options with FleetOptionsError naming the field", () => {
    expect(() => createSharedScheduler({ shared: { redis: "http://x", key: "a" } })).toThrow(
      FleetOptionsError,
    );
    try {
      createSharedScheduler({ shared: { redis: "redis://127.0.0.1:1", leaseTtlMs: 10 } });
    } catch (error) {
      expect((error as FleetOptionsError).field).toBe("shared.leaseTtlMs");
    }
    expect(() =>
      createSharedScheduler({ shared: { redis: "redis://127.0.0.1:1", chunkTokenz: 5 } as never }),
    ).toThrow(/did you mean `chunkTokens`/);
  });
});

describe("SharedBudget - several processes", () => {
  it("four child processes share one budget and never exceed it, each call served once", async () => {
    const server = await TokenServer.start();
    const key = freshKey();
    const budget = 6_000;
    const children = [0, 1, 2, 3].map((i) =>
      startChild({
        redis: store.redis.url,
        key,
        processId: `child-${i}`,
        budget,
        chunk: 1_000,
        ttlMs: 3_000,
        server: server.url,
        calls: 40,
        concurrency: 12,
        charge: 500,
        holdMs: 15,
        // Calls wait at the server until the budget is in flight at once: whether the fleet reaches its
        // budget is then a property of the protocol, not of how fast this machine runs four processes.
        gate: budget,
      }),
    );
    try {
      const done = await Promise.all(children.map((c) => c.waitFor("done", 60_000)));
      expect(done.map((d) => d.ok)).toEqual([40, 40, 40, 40]);
      expect(done.map((d) => d.failed)).toEqual([0, 0, 0, 0]);
      expect(server.arrivals.size).toBe(160);
      expect(server.duplicates()).toEqual([]);
      // Demand was 4 x 12 x 500 = 24,000 tokens against 6,000: the budget bound, and it was reached.
      expect(server.maxInFlight).toBeLessThanOrEqual(budget);
      expect(server.maxInFlight).toBe(budget);
    } finally {
      for (const c of children) c.process.kill("SIGKILL");
      await server.close();
    }
  }, 90_000);

  it("a process killed with SIGKILL has its leases back within the TTL", async () => {
    const server = await TokenServer.start();
    const key = freshKey();
    const ttlMs = 1_500;
    const holder = startChild({
      redis: store.redis.url,
      key,
      processId: "doomed",
      budget: 4_000,
      chunk: 1_000,
      ttlMs,
      server: server.url,
      calls: 1_000,
      concurrency: 8,
      charge: 500,
      holdMs: 60_000,
      reportEvery: 8,
    });
    const survivor = member(key, "survivor", { leaseTtlMs: ttlMs });
    try {
      await holder.waitFor("admitted", 30_000);
      const k = fleetKeys(key, "default");
      expect(Number(await store.admin.hget(k.state, "leased"))).toBe(4_000);
      holder.process.kill("SIGKILL");
      const killedAt = performance.now();
      // The survivor needs the whole budget: it gets it once the dead lease expired (Redis time) and was reclaimed.
      await survivor.fleet.ready();
      await oneCall(survivor, server, "after-kill", 4_000, 5);
      const waited = performance.now() - killedAt;
      expect(waited).toBeLessThan(ttlMs + 1_000);
      expect(await store.admin.zscore(k.live, "doomed")).toBeNull();
    } finally {
      holder.process.kill("SIGKILL");
      await survivor.close();
      await server.close();
    }
  }, 60_000);
});

describe("SharedBudget - Redis stopped mid-run and restarted", () => {
  it("holds the local share while Redis is down, rejoins, and loses or repeats no call", async () => {
    const server = await TokenServer.start();
    const key = freshKey();
    const logs: string[] = [];
    const budget = 6_000;
    const members = [0, 1, 2].map((i) =>
      member(
        key,
        `m${i}`,
        { log: (l: string) => logs.push(l), commandTimeoutMs: 300 },
        { mode: "fixed", tokens: budget },
      ),
    );
    await Promise.all(members.map((m) => m.fleet.ready()));
    let stop = false;
    let issued = 0;
    let failed = 0;
    const loops = members.flatMap((m, mi) =>
      Array.from({ length: 8 }, async (_, w) => {
        while (!stop) {
          const id = `m${mi}-w${w}-${issued++}`;
          await oneCall(m, server, id, 500, 10).catch(() => {
            failed++;
          });
        }
      }),
    );
    try {
      await new Promise((r) => setTimeout(r, 400));
      await store.redis.pause();
      await waitFor(() => members.every((m) => m.fleet.mode === "fallback"), 10_000);
      // Each member now runs on budget / 3 processes; measure the fleet from the server's side.
      server.maxInFlight = server.inFlight;
      await new Promise((r) => setTimeout(r, 600));
      expect(server.maxInFlight).toBeLessThanOrEqual(3 * Math.floor(budget / 3));
      // Each member's share: budget / 3, and never more than the lease it last held (safe whoever held more).
      const shares = members.map((m) => m.fleet.tokens);
      for (const share of shares) expect(share).toBeGreaterThan(0);
      for (const share of shares) expect(share).toBeLessThanOrEqual(budget / 3);
      await store.redis.resume();
      await waitFor(() => members.every((m) => m.fleet.mode === "joined"), 15_000);
      await new Promise((r) => setTimeout(r, 400));
    } finally {
      if (!store.redis.running) await store.redis.resume();
      stop = true;
      await Promise.all(loops);
      await Promise.all(members.map((m) => m.close()));
      await server.close();
    }
    expect(failed).toBe(0);
    expect(server.arrivals.size).toBe(issued);
    expect(server.duplicates()).toEqual([]);
    for (const m of members) {
      const s = m.fleetStats();
      expect(s.fallbacks).toBe(1);
      expect(s.recoveries).toBe(1);
    }
    expect(logs.filter((l) => l.includes("falling back"))).toHaveLength(3);
    expect(logs.filter((l) => l.includes("rejoined"))).toHaveLength(3);
  }, 60_000);
});

describe("SharedBudget - keys that are not the fleet's", () => {
  it("a foreign value under the key is a FleetKeyError naming the key; calls go on on the fallback share", async () => {
    const server = await TokenServer.start();
    const key = freshKey();
    const k = fleetKeys(key, "default");
    await store.admin.set(k.state, "someone else's value");
    const m = member(key, "victim");
    try {
      const error = await m.fleet.ready().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(FleetKeyError);
      expect((error as FleetKeyError).key).toBe(k.state);
      expect((error as FleetKeyError).kind).toBe("foreign");
      expect((error as FleetKeyError).message).toContain(k.state);
      await oneCall(m, server, "still-served");
      expect(server.arrivals.get("still-served")).toBe(1);
      expect(m.fleet.mode).toBe("fallback");
    } finally {
      await m.close();
      await server.close();
    }
  });

  it("a malformed fleet value names the key and the field", async () => {
    const key = freshKey();
    const k = fleetKeys(key, "default");
    await store.admin.hset(k.state, { format: "augserve-fleet/2", budget: "lots", leased: "0" });
    const m = member(key, "victim");
    try {
      const error = (await m.fleet.ready().catch((e: unknown) => e)) as FleetKeyError;
      expect(error).toBeInstanceOf(FleetKeyError);
      expect(error.kind).toBe("malformed");
      expect(error.key).toBe(`${k.state}#budget`);
      await store.admin.hset(k.demand, "ghost", "not,a,record");
      await store.admin.zadd(k.live, Date.now() + 600_000, "ghost");
      await store.admin.hset(k.state, { budget: "4000" });
      const direct = new FleetRedis(store.redis.url, k, 1_000);
      await direct.whenConnected(5_000);
      await expect(direct.leave("x")).resolves.toBe(0);
      await expect(direct.sync("x", { ...SYNC_BASE, floor: 0, record: RECORD })).rejects.toMatchObject({
        name: "FleetKeyError",
        kind: "malformed",
        key: `${k.demand}#ghost`,
      });
      await direct.close();
    } finally {
      await m.close();
    }
  });
});

describe("SharedBudget - Redis time", () => {
  it("leases run on Redis time: a member whose clock is far off neither expires nor loses leases", async () => {
    const key = freshKey();
    const skewed = createSharedScheduler(
      {
        budget: { mode: "fixed", tokens: 4_000 },
        shared: {
          redis: store.redis.url,
          key,
          processId: "skewed",
          leaseTtlMs: 400,
          registry: null,
          log: () => {},
        },
      },
      { clock: { now: () => performance.now() + 86_400_000 } },
    );
    const normal = member(key, "normal", { leaseTtlMs: 400 });
    try {
      await Promise.all([skewed.fleet.ready(), normal.fleet.ready()]);
      await new Promise((r) => setTimeout(r, 1_200));
      const live = await store.admin.zrange(fleetKeys(key, "default").live, "0", "-1");
      expect(live.sort()).toEqual(["normal", "skewed"]);
    } finally {
      await skewed.close();
      await normal.close();
    }
  });
});

describe("SharedBudget - one controller for the fleet", () => {
  it("exactly one member decides the adaptive budget, and every member follows it", async () => {
    const key = freshKey();
    const adaptive = {
      mode: "adaptive" as const,
      initialTokens: 20_000,
      minTokens: 2_000,
      maxTokens: 40_000,
      intervalMs: 50,
      cooldownMs: 50,
    };
    const members = [0, 1, 2].map((i) => member(key, `c${i}`, {}, adaptive));
    try {
      await Promise.all(members.map((m) => m.fleet.ready()));
      // Failing calls are errors for the law: the fleet's budget is cut.
      for (let round = 0; round < 6; round++) {
        await Promise.all(
          members.map(async (m) => {
            const run = m.beginRun({ features });
            await run
              .call({ promptTokens: 500 }, async () => {
                throw new Error("server error");
              })
              .catch(() => {});
            run.end("error");
          }),
        );
        await new Promise((r) => setTimeout(r, 120));
      }
      await waitFor(() => members.every((m) => m.fleetStats().budget < 20_000), 5_000);
      const deciders = members.filter((m) => m.fleetStats().budgetDecisions > 0);
      expect(deciders).toHaveLength(1);
      expect(members.filter((m) => m.fleetStats().leader)).toHaveLength(1);
    } finally {
      await Promise.all(members.map((m) => m.close()));
    }
  });
});
