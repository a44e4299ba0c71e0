/**
 * The fleet's Redis connection: ioredis, the four scripts (EVALSHA, loaded again on NOSCRIPT after a Redis
 * restart), replies checked, failures fast. The command connection has no offline queue: while Redis is
 * unreachable a script fails at once (the caller falls back) instead of waiting in a queue; ioredis keeps
 * reconnecting in the background. Notices arrive on a second, subscribed connection.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { AugServeError } from "../util/index.js";
import { keyErrorFromReply } from "./errors.js";
import { loadRedis } from "./load-ioredis.js";
import { type FleetKeys, LEAVE_LUA, SET_BUDGET_LUA, SYNC_LUA, TAKE_LUA } from "./scripts.js";

/** One member's demand as the allocation reads it (its record in `base:demand`, SYNC_LUA). */
export interface DemandRecord {
  /** Tokens in flight. */
  f: number;
  /** Demand, tokens: in flight + queued (estimated) + one chunk of headroom. */
  d: number;
  /** Need, tokens: in flight + the charge of the next call (when one waits). */
  n: number;
  /** Queued calls. */
  q: number;
  /** Head rank (lower first; 1e9 when nothing is queued) and score. */
  r: number;
  s: number;
  /** Per tenant: [tokens in flight, demand, weight]. */
  t: Record<string, [number, number, number]>;
}

/** What `sync` sends (ARGV 2-18 of SYNC_LUA). */
export interface SyncRequest {
  ttlMs: number;
  /** Tokens the reply must not grant less of: what may be in flight by the time the script runs. */
  floor: number;
  record: DemandRecord;
  initialBudget: number;
  /** The budget bounds this process accepts; a stored budget outside them is clamped. */
  minBudget: number;
  maxBudget: number;
  /** This process holds a lease (its record must exist in Redis; if not, state was lost). */
  known: boolean;
  /** The most live processes this process saw recently. */
  liveHint: number;
  /** The lease it last held (its local budget): while the fleet recovers lost state, grants stay within it. */
  prior: number;
  /** Allocation gaps below this are not worth a notice, tokens. */
  hysteresis: number;
  samples: { ttftSum: number; ttftCount: number; tokenMsSum: number; tokens: number; errors: number };
  /** "waiting,running,kv,preemptionsTotal" or "". */
  server: string;
  takeLead: boolean;
}

export interface SyncReply {
  held: number;
  /** This member's allocation under the share algorithm (what it may grow to once others return tokens). */
  alloc: number;
  budget: number;
  leased: number;
  live: number;
  redisNowMs: number;
  /** Other members whose allocation exceeds their hold: while any, idle tokens are returned promptly. */
  waiters: number;
  leader: boolean;
  /** The fleet is recovering lost state (I5): grants are capped at a fair share. */
  recovering: boolean;
  /** This member's allocation per tenant. */
  tenants: Map<string, number>;
}

export interface TakeReply {
  budget: number;
  ttftSum: number;
  ttftCount: number;
  tokenMsSum: number;
  tokens: number;
  errors: number;
  /** Latest server signals published by any process, with their Redis time; null when none. */
  server: {
    waiting: number;
    running: number;
    kvCacheUsage: number;
    preemptionsTotal: number;
    at: number;
  } | null;
  inFlightTokens: number;
  queuedCalls: number;
}

/** A script reply that is not what the script returns: another program answered, or the data is corrupt. */
export class FleetReplyError extends AugServeError {
  static override readonly code = "FLEET_REPLY";
  override readonly name = "FleetReplyError";
}

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");
const SCRIPTS = { sync: SYNC_LUA, leave: LEAVE_LUA, take: TAKE_LUA, setBudget: SET_BUDGET_LUA } as const;
type ScriptName = keyof typeof SCRIPTS;
const SHAS = Object.fromEntries(Object.entries(SCRIPTS).map(([k, v]) => [k, sha1(v)])) as Record<
  ScriptName,
  string
>;

function num(value: unknown, what: string): number {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n))
    throw new FleetReplyError(`unexpected ${what} in a fleet script reply: ${String(value)}`);
  return n;
}

/** `names[i]` read from `reply[from + i]` with {@link num} (a script's reply is positional). */
function numbersAt<K extends string>(
  reply: readonly unknown[],
  from: number,
  names: readonly K[],
): Record<K, number> {
  const out = {} as Record<K, number>;
  names.forEach((name, i) => {
    out[name] = num(reply[from + i], name);
  });
  return out;
}

/** One replica's scripts over one ioredis client (ours, or the caller's). */
export class FleetRedis {
  readonly #client: Redis;
  readonly #owned: boolean;
  readonly #keys: FleetKeys;
  readonly #timeoutMs: number;
  #subscriber: Redis | null = null;
  /** Scripts sent (round trips to Redis), failed ones included. */
  roundTrips = 0;

  constructor(redis: string | Redis, keys: FleetKeys, timeoutMs: number) {
    this.#keys = keys;
    this.#timeoutMs = timeoutMs;
    this.#owned = typeof redis === "string";
    this.#client =
      typeof redis === "string"
        ? new (loadRedis())(redis, {
            enableOfflineQueue: false,
            maxRetriesPerRequest: 0,
            commandTimeout: timeoutMs,
            connectTimeout: Math.max(timeoutMs, 1_000),
            retryStrategy: (attempt) => Math.min(50 * attempt, 1_000),
          })
        : redis;
    // Connection errors surface as failed scripts (fallback, one log line); an unhandled 'error' event
    // would crash the process.
    if (this.#owned) this.#client.on("error", () => {});
  }

  /** Resolves when the command connection is up (at once if it is), or after `timeoutMs` regardless. */
  whenConnected(timeoutMs: number): Promise<void> {
    if (this.#client.status === "ready") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#client.off("ready", done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#client.once("ready", done);
    });
  }

  /** Subscribes to the replica's notices (freed tokens, blocked processes, budget changes). */
  async subscribe(onNotice: (kind: string, from: string) => void): Promise<void> {
    if (this.#subscriber) return;
    const subscriber = this.#client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    subscriber.on("error", () => {});
    subscriber.on("message", (_channel: string, message: string) => {
      const space = message.indexOf(" ");
      onNotice(space < 0 ? message : message.slice(0, space), space < 0 ? "" : message.slice(space + 1));
    });
    this.#subscriber = subscriber;
    // Not awaited for the join: ioredis subscribes (and re-subscribes after a reconnect) when it connects.
    subscriber.subscribe(this.#keys.channel).catch(() => {});
  }

  async #run(name: ScriptName, args: (string | number)[]): Promise<unknown> {
    const keys = this.#keys.all;
    this.roundTrips += 1;
    const call = async () => {
      try {
        return await this.#client.evalsha(SHAS[name], keys.length, ...keys, ...args);
      } catch (error) {
        if (error instanceof Error && error.message.startsWith("NOSCRIPT")) {
          return await this.#client.eval(SCRIPTS[name], keys.length, ...keys, ...args);
        }
        throw error;
      }
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis did not answer within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
    });
    try {
      return await Promise.race([call(), timeout]);
    } catch (error) {
      throw keyErrorFromReply(error) ?? error;
    } finally {
      clearTimeout(timer);
    }
  }

  async sync(pid: string, r: SyncRequest): Promise<SyncReply> {
    const s = r.samples;
    const reply = await this.#run("sync", [
      pid,
      Math.ceil(r.ttlMs),
      Math.ceil(r.floor),
      JSON.stringify(r.record),
      Math.max(1, Math.round(r.initialBudget)),
      Math.max(1, Math.floor(r.minBudget)),
      Math.max(1, Math.ceil(r.maxBudget)),
      r.known ? "1" : "0",
      Math.max(1, Math.round(r.liveHint)),
      s.ttftSum,
      s.ttftCount,
      s.tokenMsSum,
      s.tokens,
      s.errors,
      r.server,
      r.takeLead ? "1" : "0",
      this.#keys.channel,
      Math.max(1, Math.round(r.hysteresis)),
      Math.max(0, Math.floor(r.prior)),
    ]);
    if (!Array.isArray(reply) || reply.length !== 10 || !Array.isArray(reply[9]))
      throw new FleetReplyError("malformed sync reply");
    const flat = reply[9] as unknown[];
    const tenants = new Map<string, number>();
    for (let i = 0; i + 1 < flat.length; i += 2) tenants.set(String(flat[i]), num(flat[i + 1], "tenant"));
    return {
      ...numbersAt(reply, 0, ["held", "alloc", "budget", "leased", "live"]),
      redisNowMs: num(reply[5], "time"),
      waiters: num(reply[6], "waiters"),
      leader: reply[7] === 1,
      recovering: reply[8] === 1,
      tenants,
    };
  }

  async leave(pid: string): Promise<number> {
    return num(await this.#run("leave", [pid, this.#keys.channel]), "returned");
  }

  /** The controller's samples, or null when this process is not (or no longer) the controller. */
  async take(pid: string, ttlMs: number): Promise<TakeReply | null> {
    const reply = await this.#run("take", [pid, Math.ceil(ttlMs)]);
    if (!Array.isArray(reply)) throw new FleetReplyError("malformed take reply");
    if (reply[0] !== 1) return null;
    if (reply.length !== 11) throw new FleetReplyError("malformed take reply");
    const server = String(reply[7]);
    const parts = server === "" ? null : server.split(",").map(Number);
    return {
      ...numbersAt(reply, 1, ["budget", "ttftSum", "ttftCount", "tokenMsSum", "tokens", "errors"]),
      server:
        parts && parts.length === 5 && parts.every(Number.isFinite)
          ? {
              waiting: parts[0] as number,
              running: parts[1] as number,
              kvCacheUsage: parts[2] as number,
              preemptionsTotal: parts[3] as number,
              at: parts[4] as number,
            }
          : null,
      inFlightTokens: num(reply[8], "inflight"),
      queuedCalls: num(reply[9], "queued"),
    };
  }

  /** Applies the controller's decision; false when this process is no longer the controller. */
  async setBudget(pid: string, tokens: number): Promise<boolean> {
    return (await this.#run("setBudget", [pid, Math.max(1, Math.round(tokens)), this.#keys.channel])) === 1;
  }

  /** Closes the subscription, and the command connection when it is ours. */
  async close(): Promise<void> {
    const subscriber = this.#subscriber;
    this.#subscriber = null;
    subscriber?.disconnect();
    if (this.#owned) this.#client.disconnect();
  }
}
