/**
 * One real redis-server per test file (test/support/redis-server.ts finds or installs it), and an admin client
 * for reading and corrupting the fleet's keys. Registers its own beforeAll/afterAll: call it at the top of a
 * file and read `.redis` / `.admin` inside tests.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { RedisServer } from "../../support/redis-server.js";

export interface RedisFixture {
  /** The running server (tests may pause, freeze or restart it). */
  readonly redis: RedisServer;
  /** A plain client on that server, for reading and writing keys behind the fleet's back. */
  readonly admin: Redis;
}

export function useRedisServer(): RedisFixture {
  let redis: RedisServer | undefined;
  let admin: Redis | undefined;
  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    admin.on("error", () => {});
  }, 600_000);
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("useRedisServer(): read before beforeAll started the server");
    return value;
  };
  return {
    get redis() {
      return started(redis);
    },
    get admin() {
      return started(admin);
    },
  };
}
