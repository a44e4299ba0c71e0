/**
 * Options of a budget shared by several processes through Redis (`createSharedScheduler({ shared })`, `augserve({
 * shared })`, `augserve gateway --redis URL`). The zod schema is the one source of the type.
 */
import type { Redis } from "ioredis";
import type { Registry } from "prom-client";
import { z } from "zod";
import { MAX_TIMER_MS, parseWith } from "../util/index.js";
import { FleetOptionsError } from "./errors.js";

const isObjectWith =
  (...methods: string[]) =>
  (value: unknown): boolean =>
    value !== null &&
    typeof value === "object" &&
    methods.every((m) => typeof (value as Record<string, unknown>)[m] === "function");

/** A Redis key part: printable, no spaces, no braces (they are Redis Cluster hash tags, which we place). */
const keyPart = () =>
  z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^\s{}]+$/, "expected a key part without spaces or braces");

/**
 * Options of the fleet member.
 * @example { redis: "redis://127.0.0.1:6379", key: "augserve:prod", chunkTokens: 4096, leaseTtlMs: 3000 }
 */
export const SharedOptionsSchema = z
  .strictObject({
    /**
     * The Redis (or Valkey) server: a `redis://` / `rediss://` URL, or an ioredis client the caller owns (it
     * is not closed by `close()`; a duplicate of it is used for the subscription).
     */
    redis: z.union([
      z.string().regex(/^rediss?:\/\/\S+$/, "expected a redis:// or rediss:// URL"),
      z.custom<Redis>(isObjectWith("evalsha", "duplicate", "defineCommand"), {
        message: "expected a redis:// URL or an ioredis client",
      }),
    ]),
    /** Prefix of every key of this fleet; fleets with different keys never interact. @default "augserve" */
    key: keyPart().default("augserve"),
    /**
     * The server (replica) whose budget this scheduler leases: processes that name the same replica share one
     * budget. The gateway passes each upstream's URL. @default "default"
     */
    replica: keyPart().default("default"),
    /** This process's id in the fleet; unique per process. @default `${hostname}:${pid}:${random}` */
    processId: keyPart().optional(),
    /**
     * Lease chunk, tokens: a process holds at most its in-flight tokens plus one chunk (or its next call's
     * charge, if larger) while it has work, so an admission needs a Redis round trip only every few calls.
     * It bounds both the budget overshoot and how far the fleet's order may differ from one scheduler's.
     * Integer >= 1. @default 4096
     */
    chunkTokens: z.number().int().positive().default(4_096),
    /**
     * Lease time-to-live, ms (Redis time): a process that stops renewing (killed, partitioned) has its
     * leases back in the pool within this. 100 <= ms <= 2^31 - 1. @default 3000
     */
    leaseTtlMs: z.number().min(100).max(MAX_TIMER_MS).default(3_000),
    /**
     * The lease's refresh interval, ms; < leaseTtlMs: the demand is published and the lease resized (and
     * renewed) this often at steady load, whatever the call rate. @default leaseTtlMs / 3
     */
    renewIntervalMs: z.number().positive().max(MAX_TIMER_MS).optional(),
    /** With nothing queued or in flight for this long, the idle chunk is returned, ms. @default 1000 */
    idleReturnMs: z.number().nonnegative().max(MAX_TIMER_MS).default(1_000),
    /**
     * Least time between two early syncs (a sync before the refresh, on a material change of demand or to
     * return tokens others wait for), ms: bounds the round trips a busy process costs. @default 250
     */
    rebalanceMs: z.number().positive().max(MAX_TIMER_MS).default(250),
    /** Unused since the lease protocol of augserve-fleet/2 (blocked processes wait for a notice or an early sync); accepted for compatibility. */
    retryMs: z.number().positive().max(MAX_TIMER_MS).default(25),
    /** A Redis command slower than this counts as a failure (fallback), ms. @default 1000 */
    commandTimeoutMs: z.number().positive().max(MAX_TIMER_MS).default(1_000),
    /**
     * How many processes to assume before Redis was ever reached, for the fallback share (budget / processes)
     * of a process that starts while Redis is down. Integer >= 1. @default 1
     */
    expectedProcesses: z.number().int().positive().default(1),
    /** Until the first lease arrives (or this passes, then the fallback), nothing is admitted, ms. @default 2000 */
    joinTimeoutMs: z.number().positive().max(MAX_TIMER_MS).default(2_000),
    /**
     * Fleet-wide weights of the tenants (the `tenant` of `beginRun`): under contention each tenant gets a
     * share of the replica's budget proportional to its weight (weighted max-min fair shares over the whole
     * fleet, whichever processes its runs are on). Tenants not listed weigh 1. @default {}
     */
    tenantWeights: z.record(z.string().max(256), z.number().positive().max(1e6)).default({}),
    /** prom-client registry for the fleet metrics; `null` disables them. @default the global registry */
    registry: z.custom<Registry>(isObjectWith("registerMetric", "metrics")).nullable().optional(),
    /** Where the fallback / recovery / key-error lines go (one line each). @default console.warn */
    log: z.custom<(line: string) => void>((v) => typeof v === "function").optional(),
  })
  .refine((o) => o.renewIntervalMs === undefined || o.renewIntervalMs < o.leaseTtlMs, {
    message: "expected renewIntervalMs < leaseTtlMs",
    path: ["renewIntervalMs"],
  });

export type SharedOptions = z.input<typeof SharedOptionsSchema>;
export type ResolvedSharedOptions = z.output<typeof SharedOptionsSchema> & { renewIntervalMs: number };

/** Validates `shared` options (defaults applied), or throws {@link FleetOptionsError} naming the field. */
export function parseSharedOptions(input: unknown, path = "shared"): ResolvedSharedOptions {
  const parsed = parseWith(SharedOptionsSchema, input, (issues, cause) => {
    const where = (p: string) => (p === "" ? path : `${path}.${p}`);
    return new FleetOptionsError(
      where(issues[0]?.path ?? ""),
      issues.map((i) => `${where(i.path)}: ${i.message}`),
      cause,
    );
  });
  return { ...parsed, renewIntervalMs: parsed.renewIntervalMs ?? parsed.leaseTtlMs / 3 };
}
