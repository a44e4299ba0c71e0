/**
 * `startGateway()`: the AugServe scheduler behind an OpenAI-compatible endpoint in front of several replicas
 * (DESIGN.md section 9, issue 15). Routes: `POST /v1/chat/completions`, `GET /v1/models` (the union of the
 * healthy replicas'), `GET /health`, `GET /metrics`; anything else a JSON 404. Every route answers errors
 * as JSON and never lets one escape (the wire layer's boundary).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import { CallAccounting } from "../accounting/index.js";
import { EventLoopLagMonitor } from "../backend/event-loop-lag.js";
import type { Logger } from "../backend/poller.js";
import { redactCredentials } from "../backend/redact.js";
import { fleetMetrics } from "../fleet/metrics.js";
import { SharedScheduler } from "../fleet/shared-scheduler.js";
import { createPredictor } from "../predict/predictor.js";
import type { Predictor } from "../predict/types.js";
import type { SchedulerSnapshot } from "../scheduler/index.js";
import { WireRequestError } from "../wire/errors.js";
import { answerError, listen, sendJson } from "../wire/http.js";
import { chatCompletionBodySchema } from "../wire/schema.js";
import { CompletionHandler } from "./completion.js";
import { ClientAuth } from "./hints.js";
import { GatewayMetrics } from "./metrics.js";
import {
  type GatewayOptions,
  isLoopbackHost,
  normaliseBase,
  parseGatewayOptions,
  type ResolvedGatewayOptions,
} from "./options.js";
import { Placer } from "./placement/placer.js";
import { Replica } from "./replica.js";
import { type GatewayRun, type GatewayRunOutcome, RunRegistry } from "./runs.js";

/** The figures of a replica's scheduler that {@link ReplicaStatus} carries. */
type StatusFigure =
  | "queued"
  | "inFlightCalls"
  | "inFlightTokens"
  | "budgetTokens"
  | "activeRuns"
  | "parkedRuns";

/**
 * The gateway's view of one replica, for `/health` and tests (no URL: it may carry credentials): its health and
 * its scheduler's queue, in-flight calls and tokens, budget, and runs.
 */
export interface ReplicaStatus extends Pick<SchedulerSnapshot, StatusFigure> {
  index: number;
  healthy: boolean;
}

function replicaStatus(r: Replica): ReplicaStatus {
  const s = r.scheduler.snapshot();
  return {
    index: r.index,
    healthy: r.healthy,
    queued: s.queued,
    inFlightCalls: s.inFlightCalls,
    inFlightTokens: s.inFlightTokens,
    budgetTokens: s.budgetTokens,
    activeRuns: s.activeRuns,
    parkedRuns: s.parkedRuns,
  };
}

/** A running gateway. */
export interface Gateway {
  /** `http://host:port` */
  url: string;
  /** `http://host:port/v1`: what OpenAI clients take as base URL. */
  baseURL: string;
  metricsUrl: string;
  port: number;
  readonly options: ResolvedGatewayOptions;
  readonly predictor: Predictor;
  readonly registry: Registry;
  /** Each replica's state now. */
  replicas(): ReplicaStatus[];
  /** Runs tracked now (running or parked). */
  readonly activeRuns: number;
  /** Bytes of run state kept now, as counted against `maxRetainedBytes`. */
  readonly retainedRunBytes: number;
  /** Abandons runs idle past `runIdleTimeoutMs` now (the gateway also does it on a timer). */
  sweepIdleRuns(): number;
  /** Subscribes to ended runs (tests, custom metrics). Returns the unsubscribe function. */
  onRunEnded(listener: (run: GatewayRun, outcome: GatewayRunOutcome) => void): () => void;
  /** Stops listening, aborts open requests, ends tracked runs, closes the upstream pools. */
  close(): Promise<void>;
}

/** Answer of `/v1/models`: the union (by id) of the healthy replicas' lists. */
async function modelUnion(replicas: readonly Replica[]): Promise<unknown[]> {
  const lists = await Promise.allSettled(
    replicas
      .filter((r) => r.healthy)
      .map(async (r) => {
        const { statusCode, body } = await r.pool.request({
          path: `${r.pathPrefix}/v1/models`,
          method: "GET",
          ...r.authHeaders(),
          headersTimeout: 5000,
          bodyTimeout: 5000,
        });
        const json = (await body.json()) as { data?: unknown };
        return statusCode === 200 && Array.isArray(json.data) ? json.data : [];
      }),
  );
  const byId = new Map<string, unknown>();
  for (const list of lists) {
    if (list.status !== "fulfilled") continue;
    for (const model of list.value) {
      const id = (model as { id?: unknown } | null)?.id;
      if (typeof id === "string" && !byId.has(id)) byId.set(id, model);
    }
  }
  return [...byId.values()];
}

/**
 * Node checks `headersTimeout` and `requestTimeout` only every `connectionsCheckingInterval` (30 s by
 * default), so a slow client used to be dropped up to 30 s past its limit (slowloris after ~95 s for a
 * 60 s limit). The check runs every 1/20 of the shorter limit (at most 1 s), and Node's limits are set that
 * much shorter, so a client is dropped within the documented limit, never after it.
 */
export function clientTimeouts(o: Pick<ResolvedGatewayOptions, "headersTimeoutMs" | "requestTimeoutMs">): {
  connectionsCheckingInterval: number;
  headersTimeout: number;
  requestTimeout: number;
} {
  const interval = Math.max(
    5,
    Math.min(1000, Math.floor(Math.min(o.headersTimeoutMs, o.requestTimeoutMs) / 20)),
  );
  return {
    connectionsCheckingInterval: interval,
    headersTimeout: o.headersTimeoutMs - interval,
    requestTimeout: o.requestTimeoutMs - interval,
  };
}

function openGatewayWarning(host: string): string {
  const rule = "!".repeat(78);
  return (
    `${rule}\naugserve gateway: WARNING: listening on ${host}, which is not a loopback address, WITHOUT client keys.\n` +
    "Anyone who can reach this port can use your model servers. Set --api-key (or AUGSERVE_API_KEYS),\n" +
    `or bind 127.0.0.1.\n${rule}`
  );
}

/**
 * Starts the gateway.
 * @throws GatewayOptionsError naming the first bad option.
 * @example
 * ```ts
 * const gateway = await startGateway({ upstreams: ["http://127.0.0.1:8000/v1", "http://127.0.0.1:8001/v1"] });
 * const client = new OpenAI({ baseURL: gateway.baseURL, apiKey: "unused" });
 * ```
 */
export async function startGateway(input: GatewayOptions): Promise<Gateway> {
  const options = parseGatewayOptions(input);
  const predictor = options.predictor ?? createPredictor();
  // Every line the gateway logs goes through here: credentials of upstream URLs never reach a log.
  const sink = options.logger ?? { warn: (message: string) => process.stderr.write(`${message}\n`) };
  const logger: Logger = { warn: (message: string) => sink.warn(redactCredentials(message)) };
  const listeners = new Set<(run: GatewayRun, outcome: GatewayRunOutcome) => void>();
  let metrics: GatewayMetrics | undefined;
  const replicas = createReplicas(options, logger, (replica) =>
    metrics?.ejections.inc({ replica: String(replica.index) }),
  );
  // The gateway's own event-loop delay, discounted by every replica's budget (issue 20).
  const lag = new EventLoopLagMonitor({
    onLag: (ms) => {
      for (const r of replicas) r.scheduler.observeClientLag(ms);
    },
  });
  lag.start();
  const runs = new RunRegistry({
    predictor,
    schedulers: replicas.map((r) => r.scheduler),
    slo: options.slo,
    idleTimeoutMs: options.runIdleTimeoutMs,
    maxRuns: options.maxRuns,
    maxRetainedBytes: options.maxRetainedBytes,
    now: () => performance.now(),
    onRunEnded: (run, outcome) => {
      metrics?.runs.inc({ outcome });
      for (const listener of listeners) listener(run, outcome);
    },
  });
  metrics = new GatewayMetrics(
    replicas,
    (r) => r.load(runs.parkedTokens[r.index]),
    () => runs.size,
    options.registry,
    () => runs.retainedBytes,
  );
  const completions = new CompletionHandler({
    options,
    limits: {
      maxBodyBytes: options.maxBodyBytes,
      maxJsonDepth: options.maxJsonDepth,
      // The replicas judge max_tokens against their model length; the gateway only checks the type.
      schema: chatCompletionBodySchema(2 ** 31 - 1),
    },
    auth: new ClientAuth(options.apiKeys),
    replicas,
    placer: options.placement === "none" ? undefined : new Placer({ policy: options.placement }),
    runs,
    accounting: new CallAccounting(),
    metrics,
  });
  const registry = metrics.registry;
  // The fleet's metrics (shared budgets) on the gateway's /metrics, unless the caller named a registry for them.
  if (options.shared !== undefined && options.shared.registry === undefined) {
    for (const r of replicas)
      if (r.scheduler instanceof SharedScheduler) r.scheduler.fleet.useMetrics(fleetMetrics(registry));
  }
  const dispatch = gatewayRoutes(completions, replicas, registry, new ClientAuth(options.apiKeys));
  const server = createGatewayServer(options, dispatch, logger);

  const sweepEvery = Math.min(options.runIdleTimeoutMs, 10_000);
  const sweeper = setInterval(() => runs.sweep(), sweepEvery);
  sweeper.unref();

  let bound: { port: number; url: string };
  try {
    bound = await listen(server, options.port, options.host);
  } catch (error) {
    clearInterval(sweeper);
    lag.stop();
    await Promise.all(replicas.map((r) => r.close()));
    throw error;
  }
  if (!isLoopbackHost(options.host) && options.apiKeys.length === 0)
    logger.warn(openGatewayWarning(options.host));
  return {
    url: bound.url,
    baseURL: `${bound.url}/v1`,
    metricsUrl: `${bound.url}/metrics`,
    port: bound.port,
    options,
    predictor,
    registry,
    replicas: () => replicas.map(replicaStatus),
    get activeRuns() {
      return runs.size;
    },
    get retainedRunBytes() {
      return runs.retainedBytes;
    },
    sweepIdleRuns: () => runs.sweep(),
    onRunEnded(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: async () => {
      clearInterval(sweeper);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      runs.closeAll();
      lag.stop();
      await Promise.all(replicas.map((r) => r.close()));
    },
  };
}

/** One replica per upstream, with the scheduler, budget, pool and health probing the options give. */
function createReplicas(
  options: ResolvedGatewayOptions,
  logger: Logger,
  countEjection: (replica: Replica) => void,
): Replica[] {
  return options.upstreams.map(
    (url, index) =>
      new Replica({
        index,
        base: normaliseBase(url),
        scheduler: { ...options.scheduler, policy: options.policy, slo: options.slo },
        ...(options.budgetFor === undefined
          ? {}
          : { budget: options.budgetFor({ index, url: normaliseBase(url) }) }),
        ...(options.shared === undefined ? {} : { shared: options.shared }),
        connections: options.connectionsPerUpstream,
        metricsPollIntervalMs: options.metricsPollIntervalMs,
        healthProbeIntervalMs: options.healthProbeIntervalMs,
        ejectAfterFailures: options.ejectAfterFailures,
        pollMetrics: options.placement !== "none",
        logger,
        onEject: (replica, reason) => {
          countEjection(replica);
          logger.warn(`augserve gateway: replica ${replica.index} ejected (${reason}); probing its /health`);
        },
      }),
  );
}

type Route = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** The gateway's routes: chat completions, `/health`, `/metrics`, `/v1/models`; anything else a 404. */
function gatewayRoutes(
  completions: CompletionHandler,
  replicas: readonly Replica[],
  registry: Registry,
  auth: ClientAuth,
): Route {
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "POST" && path === "/v1/chat/completions") return completions.route(req, res);
    if (req.method === "GET" && path === "/health") {
      req.resume();
      const healthy = replicas.filter((r) => r.healthy).length;
      return sendJson(res, healthy > 0 ? 200 : 503, {
        status: healthy > 0 ? "ok" : "no_healthy_upstream",
        replicas: replicas.map((r) => ({ index: r.index, healthy: r.healthy })),
      });
    }
    if (req.method === "GET" && path === "/metrics") {
      req.resume();
      return registry
        .metrics()
        .then((text) => void res.writeHead(200, { "content-type": registry.contentType }).end(text));
    }
    if (req.method === "GET" && path === "/v1/models") {
      req.resume();
      auth.check(req.headers);
      return modelUnion(replicas).then((data) => sendJson(res, 200, { object: "list", data }));
    }
    req.resume();
    throw new WireRequestError(404, `No route ${req.method} ${path}`, {
      code: "not_found",
      type: "not_found_error",
    });
  };
}

/** The HTTP server: client timeouts, and every error of a route answered as JSON (internal ones logged). */
function createGatewayServer(options: ResolvedGatewayOptions, dispatch: Route, logger: Logger): Server {
  const onInternalError = (error: unknown, req: IncomingMessage) => {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    logger.warn(
      `augserve: internal error on gateway ${req.method} ${(req.url ?? "/").split("?")[0]}: ${detail}`,
    );
  };
  const server = createServer(clientTimeouts(options), (req, res) => {
    const fail = (error: unknown) => answerError(req, res, error, onInternalError);
    try {
      const pending = dispatch(req, res);
      if (pending !== undefined) pending.catch(fail);
    } catch (error) {
      fail(error);
    }
  });
  server.keepAliveTimeout = 30_000;
  return server;
}
