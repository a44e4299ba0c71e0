/**
 * Two gateways in front of one simulator replica share that replica's budget through a real redis-server
 * (`startGateway({ shared })`, `augserve gateway --redis URL`); `augserve({ shared })` leases the same way.
 */
import { describe, expect, it } from "vitest";
import { gatewayOptionsFromFlags } from "../../src/cli/gateway-command.js";
import { fleetKeys } from "../../src/fleet/index.js";
import { startGateway } from "../../src/gateway/index.js";
import { AugServeOptionsError } from "../../src/langchain/errors.js";
import { createAugServe } from "../../src/langchain/index.js";
import { createScheduler } from "../../src/scheduler/create-scheduler.js";
import { startSimServer } from "../../src/sim/index.js";
import { waitFor } from "../support/wait.js";
import { useRedisServer } from "./support/redis-fixture.js";

const store = useRedisServer();

async function chat(baseURL: string, content: string): Promise<number> {
  const res = await fetch(`${baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "sim", messages: [{ role: "user", content }], max_tokens: 8 }),
  });
  await res.text();
  return res.status;
}

describe("startGateway({ shared })", () => {
  it("two gateways lease one budget for the replica they share, and return it when closed", async () => {
    const sim = await startSimServer({ timeScale: 100 });
    const key = `gw-${process.pid}`;
    const options = {
      upstreams: [sim.baseURL],
      port: 0,
      scheduler: { budget: { mode: "fixed" as const, tokens: 20_000 } },
      shared: { redis: store.redis.url, key, log: () => {} },
    };
    const gateways = [await startGateway(options), await startGateway(options)];
    try {
      expect(await Promise.all(gateways.map((g, i) => chat(g.baseURL, `hello ${i}`)))).toEqual([200, 200]);
      const k = fleetKeys(key, sim.url);
      await waitFor(async () => (await store.admin.zcard(k.live)) === 2, 5_000);
      expect(Number(await store.admin.hget(k.state, "budget"))).toBe(20_000);
      expect(Number(await store.admin.hget(k.state, "leased"))).toBeLessThanOrEqual(20_000);
      const metrics = await (await fetch(gateways[0]?.metricsUrl ?? "")).text();
      expect(metrics).toMatch(/augserve_fleet_lease_tokens\{replica="http:\/\/127\.0\.0\.1:\d+"\}/);
      await Promise.all(gateways.map((g) => g.close()));
      expect(await store.admin.zcard(k.live)).toBe(0);
      expect(Number(await store.admin.hget(k.state, "leased"))).toBe(0);
    } finally {
      await Promise.all(gateways.map((g) => g.close()));
      await sim.close();
    }
  });

  it("--redis URL [--redis-key KEY] become the gateway's shared options; shared excludes budgetFor", async () => {
    const flags = { port: "0", host: "127.0.0.1", policy: "augserve", placement: "augserve" };
    expect(
      gatewayOptionsFromFlags(
        { ...flags, upstream: ["http://127.0.0.1:1/v1"], redis: "redis://h:1", redisKey: "k" },
        {},
      ).shared,
    ).toEqual({
      redis: "redis://h:1",
      key: "k",
    });
    await expect(
      startGateway({
        upstreams: ["http://127.0.0.1:1/v1"],
        shared: { redis: store.redis.url },
        budgetFor: () => {
          throw new Error("unused");
        },
      }),
    ).rejects.toMatchObject({ name: "GatewayOptionsError", field: "shared" });
  });
});

describe("augserve({ shared })", () => {
  it("creates its own shared scheduler, closed by close(); excludes scheduler", async () => {
    const key = `aug-${process.pid}`;
    const aug = createAugServe({ shared: { redis: store.redis.url, key, log: () => {} }, registry: null });
    try {
      await waitFor(async () => (await store.admin.zcard(fleetKeys(key, "default").live)) === 1, 5_000);
    } finally {
      await aug.close();
    }
    expect(await store.admin.zcard(fleetKeys(key, "default").live)).toBe(0);
    expect(() =>
      createAugServe({ shared: { redis: store.redis.url }, scheduler: createScheduler(), registry: null }),
    ).toThrow(AugServeOptionsError);
  });
});
