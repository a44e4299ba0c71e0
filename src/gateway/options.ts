/**
 * Options of {@link startGateway}: one strict zod schema, the one source of their types and defaults.
 */
import type { Registry } from "prom-client";
import { z } from "zod";
import type { SharedOptions } from "../fleet/options.js";
import type { Predictor } from "../predict/types.js";
import type { BudgetController } from "../scheduler/budget.js";
import { LIVE_POLICY_NAMES } from "../scheduler/index.js";
import type { SchedulerOptions } from "../scheduler/options.js";
import { SloSchema } from "../scheduler/options.js";
import { MAX_TIMER_MS, parseWith } from "../util/index.js";
import { WireLimitsShape } from "../wire/body.js";
import { DEFAULT_MAX_SSE_EVENT_BYTES } from "../wire/sse.js";
import { GatewayOptionsError } from "./errors.js";
import { PLACEMENT_POLICIES } from "./placement/placer.js";

const httpUrl = z
  .url({ error: "expected an http(s) URL like http://127.0.0.1:8000" })
  .refine((u) => /^https?:\/\//i.test(u), { message: "expected an http(s) URL" });
const timer = (min: number) => z.number().int().min(min).max(MAX_TIMER_MS);

/** Where the gateway sends calls and how it treats them. */
export const GatewayOptionsSchema = z.strictObject({
  /**
   * The replicas' base URLs (with or without `/v1`), e.g. `http://127.0.0.1:8000/v1`. 1..64, distinct.
   * @example ["http://10.0.0.5:8000/v1", "http://10.0.0.6:8000/v1"]
   */
  upstreams: z
    .array(httpUrl)
    .min(1, "expected at least one upstream")
    .max(64)
    .refine((urls) => new Set(urls.map(normaliseBase)).size === urls.length, {
      message: "expected distinct upstreams",
    }),
  /** TCP port; 0 picks a free one. @default 8080 */
  port: z.number().int().min(0).max(65_535).default(8080),
  /** Interface to listen on; anything but loopback exposes the gateway. @default "127.0.0.1" */
  host: z.string().min(1).default("127.0.0.1"),
  /** Scheduling policy of every replica's scheduler: one of {@link LIVE_POLICY_NAMES}. @default "augserve" */
  policy: z.enum(LIVE_POLICY_NAMES).default("augserve"),
  /**
   * How a call's replica is chosen (`none`: leave it to llm-d / the Inference Extension in front of one
   * upstream, and set their headers; see docs/gateway.md). @default "augserve"
   */
  placement: z.enum([...PLACEMENT_POLICIES, "none"]).default("augserve"),
  /**
   * Bearer keys clients must send (`Authorization: Bearer KEY`), compared in constant time. Empty: no
   * authentication. Never logged. @default []
   */
  apiKeys: z.array(z.string().min(8, "expected API keys of at least 8 characters")).default([]),
  /** Bearer key sent to every upstream (never logged, never echoed). */
  upstreamApiKey: z.string().min(1).optional(),
  /** Options of each replica's scheduler (its own budget per replica); `policy` and `slo` come from here. */
  scheduler: z.custom<SchedulerOptions>((v) => typeof v === "object" && v !== null).optional(),
  /** Default SLO of runs (a run's `x-augserve-slo-ttft-ms` overrides the TTFT). */
  slo: SloSchema.prefault({}),
  /**
   * A run with no call for this long is ended and recorded as abandoned (a client that never sent the
   * next call), ms. 1 s .. 2^31-1 ms. @default 300000
   */
  runIdleTimeoutMs: timer(1000).default(300_000),
  /** Most runs tracked at once; past it the longest-idle run is abandoned. @default 100000 */
  maxRuns: z.number().int().min(1).max(10_000_000).default(100_000),
  /**
   * Most bytes of run state the gateway keeps between calls (each run's Stage I text, cut to 32 KiB per
   * prompt, and its tool schemas, counted at 2 bytes per character of text and 4 per character of schema
   * JSON); past it the least recently active runs without a call in flight are abandoned, oldest first.
   * 1 MiB .. 16 GiB. @default 64 MiB
   */
  maxRetainedBytes: z
    .number()
    .int()
    .min(1024 * 1024)
    .max(16 * 1024 ** 3)
    .default(64 * 1024 * 1024),
  /** How often each replica's /metrics is read, ms. @default 1000 */
  metricsPollIntervalMs: timer(50).default(1000),
  /** How often an ejected replica's /health is probed, ms. @default 1000 */
  healthProbeIntervalMs: timer(50).default(1000),
  /** Consecutive failed requests (connection errors, 5xx) that eject a replica. @default 3 */
  ejectAfterFailures: z.number().int().min(1).max(1000).default(3),
  /**
   * Time allowed for an upstream's response headers, and between two chunks of its body, ms. A call is
   * sent only once admitted, so this is the replica's own queueing plus prefill: a chat user gives up on a
   * reply that has shown nothing for about a minute, and a hung replica must not hold a call's budget (and
   * its client) longer than that. Raise it for replicas that queue long prompts deeply. @default 60000
   */
  upstreamHeadersTimeoutMs: timer(100).default(60_000),
  /**
   * A client's request headers must arrive within this, ms (slowloris); the connection is closed after at
   * most this long. @default 60000
   */
  headersTimeoutMs: timer(100).default(60_000),
  /**
   * A client's whole request (headers and body) must arrive within this, ms (a never-ending chunked body);
   * answers are not bounded (streams last). At least `headersTimeoutMs`. @default 120000
   */
  requestTimeoutMs: timer(100).default(120_000),
  /**
   * Largest SSE event of an upstream's stream, bytes: an event is held until its end arrives, and one that
   * grows past this fails the call (a 502, or an error event once the stream started) instead of growing
   * the gateway's memory and blocking its event loop. 1 KiB .. 64 MiB. @default 1 MiB
   */
  maxSseEventBytes: z
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(DEFAULT_MAX_SSE_EVENT_BYTES),
  /** Where the gateway's warnings go (credentials in them are masked first). @default stderr */
  logger: z
    .custom<{ warn(message: string): void }>(
      (v) => typeof (v as { warn?: unknown } | null)?.warn === "function",
      {
        message: "expected a logger with a warn(message) method",
      },
    )
    .optional(),
  /** Most connections per replica (keep-alive pool). @default 4096 */
  connectionsPerUpstream: z.number().int().min(1).max(65_536).default(4096),
  /** Header that carries a tenant (fairness) key. @default "x-augserve-tenant" */
  tenantHeader: z
    .string()
    .regex(/^[a-z0-9-]+$/, "expected a lower-case header name")
    .default("x-augserve-tenant"),
  /**
   * `placement: "none"`: the InferenceObjective names set in `x-gateway-inference-objective` per priority
   * class. @default { interactive: "interactive", background: "background" }
   */
  inferenceObjectives: z
    .strictObject({ interactive: z.string().min(1), background: z.string().min(1) })
    .default({ interactive: "interactive", background: "background" }),
  /** Body limits: `maxBodyBytes` (@default 4 MiB) and `maxJsonDepth` (@default 64); see docs/limits.md. */
  ...WireLimitsShape,
  /** The Stage I predictor. @default createPredictor() */
  predictor: z
    .custom<Predictor>((v) => typeof (v as Predictor | undefined)?.predict === "function", {
      message: "expected a Predictor (predict, learnRun, learnToolLatency)",
    })
    .optional(),
  /**
   * Builds each replica's budget controller (e.g. a shared budget over Redis, issue 16). @default the
   * scheduler's own, from `scheduler.budget`
   */
  budgetFor: z
    .custom<(replica: { index: number; url: string }) => BudgetController>((v) => typeof v === "function")
    .optional(),
  /**
   * Share each replica's budget with other gateways and app processes through Redis (docs/shared.md): each
   * replica's scheduler leases that replica's global budget, `replica` being the upstream's base URL (so every
   * gateway that names the same upstream shares one budget). Validated by the fleet (`FleetOptionsError`);
   * its metrics go to the gateway's registry. Excludes `budgetFor`.
   * @example { redis: "redis://127.0.0.1:6379", key: "augserve:prod" }
   */
  shared: z
    .custom<Omit<SharedOptions, "replica">>((v) => typeof v === "object" && v !== null, {
      message: "expected shared options ({ redis, key, ... })",
    })
    .optional(),
  /** Prometheus registry of `/metrics`. @default a registry of the gateway's own */
  registry: z.custom<Registry>((v) => typeof (v as Registry | undefined)?.metrics === "function").optional(),
});

/**
 * Options of {@link startGateway}.
 * @example startGateway({ upstreams: ["http://127.0.0.1:8000/v1", "http://127.0.0.1:8001/v1"], port: 0 })
 */
export type GatewayOptions = z.input<typeof GatewayOptionsSchema>;
export type ResolvedGatewayOptions = z.output<typeof GatewayOptionsSchema>;

/** `http://h:p/v1/` and `http://h:p` name the same replica: its origin and path without `/v1`. */
export function normaliseBase(url: string): string {
  return url.replace(/\/+$/, "").replace(/\/v1$/, "");
}

/** @throws GatewayOptionsError naming the first bad field and the value given. */
export function parseGatewayOptions(input: unknown): ResolvedGatewayOptions {
  const options = parseWith(GatewayOptionsSchema, input ?? {}, (issues, cause) => {
    const first = issues[0] ?? { path: "", message: "invalid" };
    return new GatewayOptionsError(first.path, first.message, cause);
  });
  if (options.requestTimeoutMs < options.headersTimeoutMs)
    throw new GatewayOptionsError(
      "requestTimeoutMs",
      `expected at least headersTimeoutMs (${options.headersTimeoutMs}), got ${options.requestTimeoutMs}`,
    );
  if (options.shared !== undefined && options.budgetFor !== undefined)
    throw new GatewayOptionsError("shared", "expected either `shared` or `budgetFor`, not both");
  return options;
}

/** Whether `host` is a loopback interface (only this machine can connect). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return (
    h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === "::ffff:127.0.0.1"
  );
}
