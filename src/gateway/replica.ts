/**
 * One upstream replica: its keep-alive connection pool (undici), its scheduler (one budget per replica,
 * adapted from this replica's signals), its prefix index, what its /metrics last said, and its health.
 *
 * Health: a connection-level failure (refused, reset, closed mid-stream) ejects the replica at once;
 * `ejectAfterFailures` consecutive 5xx answers do too. An ejected replica's `/health` is probed every
 * `healthProbeIntervalMs` and it comes back on the first 200, with an empty prefix index (a replica that
 * went away has probably lost its cache).
 */
import { Pool } from "undici";
import { type Logger, MetricsPoller } from "../backend/poller.js";
import { splitCredentials } from "../backend/redact.js";
import type { SharedOptions } from "../fleet/options.js";
import { createSharedScheduler, SharedScheduler } from "../fleet/shared-scheduler.js";
import type { BudgetController } from "../scheduler/budget.js";
import { createScheduler } from "../scheduler/create-scheduler.js";
import type { SchedulerOptions } from "../scheduler/options.js";
import type { Scheduler } from "../scheduler/scheduler.js";
import type { ServerSignals } from "../scheduler/types.js";
import type { ReplicaLoad } from "./placement/placer.js";
import { PrefixIndex } from "./placement/prefix-index.js";

/** Blocks a replica's prefix index remembers (~1M tokens of 64-token blocks: above most replicas' KV). */
const PREFIX_CAPACITY_BLOCKS = 16_384;

export interface ReplicaOptions {
  index: number;
  /** Base URL without `/v1`; may carry `user:pass@` (sent as `Authorization: Basic`, never logged). */
  base: string;
  scheduler: SchedulerOptions;
  budget?: BudgetController;
  /** Lease this replica's budget from Redis (replica = `base`). */
  shared?: Omit<SharedOptions, "replica">;
  connections: number;
  metricsPollIntervalMs: number;
  healthProbeIntervalMs: number;
  ejectAfterFailures: number;
  /** Whether to read /metrics (off with `placement: "none"`, where the upstream is a gateway). */
  pollMetrics: boolean;
  logger: Logger;
  onEject?: (replica: Replica, reason: string) => void;
}

export class Replica {
  readonly index: number;
  /** Base URL without `/v1` and without credentials. */
  readonly base: string;
  /**
   * `Basic ...` from the URL's `user:pass@`, sent with every request to this replica (completions, `/metrics`,
   * `/health`, `/v1/models`); undici pools take an origin only, so credentials must travel as a header.
   */
  readonly authorization: string | undefined;
  /** Path prefix of the base URL (`/prefix` of `http://h/prefix/v1`), without a trailing slash. */
  readonly pathPrefix: string;
  readonly pool: Pool;
  readonly scheduler: Scheduler;
  readonly prefix = new PrefixIndex(PREFIX_CAPACITY_BLOCKS);
  /** Tokens of the calls placed here and waiting in its scheduler's queue. */
  queuedTokens = 0;
  #signals: ServerSignals = {};
  #healthy = true;
  #failures = 0;
  #probe: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  readonly #poller: MetricsPoller | undefined;
  readonly #o: ReplicaOptions;

  constructor(o: ReplicaOptions) {
    this.#o = o;
    this.index = o.index;
    const split = splitCredentials(o.base);
    this.base = split.url.replace(/\/+$/, "");
    this.authorization = split.authorization;
    const url = new URL(this.base);
    this.pathPrefix = url.pathname.replace(/\/+$/, "");
    this.pool = new Pool(url.origin, {
      connections: o.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      // Headers and body time-outs are set per request.
    });
    this.scheduler =
      o.shared === undefined
        ? createScheduler(o.scheduler, o.budget === undefined ? {} : { budget: o.budget })
        : createSharedScheduler({
            ...o.scheduler,
            shared: { registry: null, ...o.shared, replica: this.base },
          });
    if (o.pollMetrics) {
      this.#poller = new MetricsPoller({
        url: `${o.base}/metrics`,
        intervalMs: o.metricsPollIntervalMs,
        logger: o.logger,
        onSignals: (signals) => {
          this.#signals = signals;
          this.scheduler.observe(signals);
        },
      }).start();
    }
  }

  /** `{ headers: { authorization } }` for a request to this replica when its URL had credentials, else `{}`. */
  authHeaders(): { headers?: Record<string, string> } {
    return this.authorization === undefined ? {} : { headers: { authorization: this.authorization } };
  }

  get healthy(): boolean {
    return this.#healthy;
  }

  get signals(): ServerSignals {
    return { ...this.#signals };
  }

  /** What placement reads of this replica; `parkedTokens` comes from the run registry. */
  load(parkedTokens = 0): ReplicaLoad {
    const snap = this.scheduler.snapshot();
    const s = this.#signals;
    return {
      healthy: this.#healthy,
      inFlightTokens: snap.inFlightTokens,
      queuedTokens: this.queuedTokens,
      parkedTokens,
      budgetTokens: snap.budgetTokens,
      ...(s.kvCacheUsage === undefined ? {} : { kvCacheUsage: s.kvCacheUsage }),
      ...(s.waiting === undefined ? {} : { serverWaiting: s.waiting }),
      ...(s.running === undefined ? {} : { serverRunning: s.running }),
    };
  }

  /** A request got a good answer. */
  succeeded(): void {
    this.#failures = 0;
  }

  /** A request failed: `connection` failures eject at once, others after `ejectAfterFailures` in a row. */
  failed(connection: boolean, reason: string): void {
    this.#failures += 1;
    if (connection || this.#failures >= this.#o.ejectAfterFailures) this.eject(reason);
  }

  /** Takes the replica out of placement and starts probing its /health. Idempotent. */
  eject(reason: string): void {
    if (!this.#healthy || this.#closed) return;
    this.#healthy = false;
    this.#o.onEject?.(this, reason);
    this.#scheduleProbe();
  }

  #scheduleProbe(): void {
    if (this.#closed) return;
    this.#probe = setTimeout(() => void this.#probeOnce(), this.#o.healthProbeIntervalMs);
    this.#probe.unref?.();
  }

  async #probeOnce(): Promise<void> {
    this.#probe = undefined;
    try {
      const { statusCode, body } = await this.pool.request({
        path: `${this.pathPrefix}/health`,
        method: "GET",
        ...this.authHeaders(),
        headersTimeout: 2000,
        bodyTimeout: 2000,
      });
      await body.dump();
      if (statusCode === 200 && !this.#closed) {
        this.#healthy = true;
        this.#failures = 0;
        this.prefix.clear();
        return;
      }
    } catch {
      // Still down.
    }
    this.#scheduleProbe();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#probe !== undefined) clearTimeout(this.#probe);
    this.#poller?.stop();
    if (this.scheduler instanceof SharedScheduler) await this.scheduler.close();
    await this.pool.destroy().catch(() => {});
  }
}
