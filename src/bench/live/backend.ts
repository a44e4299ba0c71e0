/**
 * The server a live point talks to: the embedded simulator (started here, fresh for every point, with the
 * workload's scripts) or a remote OpenAI-compatible server. With the simulator, `EngineTap` watches the
 * engine's steps to time when each request is first served and to measure the server side (busy fraction,
 * batch size, KV use, preemptions) as virtual mode does. A remote server's side comes from its /metrics, when
 * given: KV use and preemptions; busy fraction and batch size are then estimated from the `running` gauge.
 */
import { MetricsPoller } from "../../backend/poller.js";
import type { ServerSignals } from "../../scheduler/types.js";
import { type Engine, scriptsFromRuns, startSimServer } from "../../sim/index.js";
import { ServerMetrics, type ServerSummary } from "../metrics/server.js";
import type { GeneratedWorkload } from "../workload/types.js";
import { openGatewayBackend } from "./gateway-backend.js";
import type { ResolvedLiveScalarOptions } from "./options.js";

/** What the summary's `server` field holds in live mode (`null` where the backend cannot tell). */
export interface LiveServerSummary {
  busyFraction: number | null;
  meanBatchSize: number | null;
  kvUsageMean: number | null;
  preemptions: number | null;
}

export interface LiveBackend {
  baseURL: string;
  /** The server's /metrics, if any (fed to the middleware's poller). */
  metricsUrl: string | undefined;
  model: string;
  /** Wall time the server first worked on a completion, when the backend can tell. */
  startOf(completionId: string): number | undefined;
  /** Starts the server-side measurement at wall time `origin` (the start of the arrival window). */
  setOrigin(origin: number): void;
  /** The server side over the first `horizonWallMs` wall ms after the origin. */
  serverSummary(horizonWallMs: number): LiveServerSummary;
  close(): Promise<void>;
}

/** Watches an in-process engine's steps (wraps the instance's `step`; `detach()` restores it). */
export class EngineTap {
  readonly #engine: Engine;
  readonly #step: Engine["step"];
  readonly #firstSeen = new Map<string, number>();
  readonly #server = new ServerMetrics();
  readonly #timeScale: number;
  #origin = 0;

  constructor(engine: Engine, timeScale: number) {
    this.#engine = engine;
    this.#timeScale = timeScale;
    this.#step = engine.step;
    engine.step = (options) => {
      const now = performance.now();
      const out = this.#step.call(engine, options);
      if (out !== null) {
        for (const e of out.emitted) if (!this.#firstSeen.has(e.id)) this.#firstSeen.set(e.id, now);
        this.#server.record((now - this.#origin) * this.#timeScale, out, engine.stats().kvCacheUsage);
      }
      return out;
    };
  }

  /** Starts the server-side measurement at wall time `origin`. */
  setOrigin(origin: number): void {
    this.#origin = origin;
  }

  startOf(id: string): number | undefined {
    return this.#firstSeen.get(id);
  }

  summary(horizonMs: number): ServerSummary {
    return this.#server.summary(horizonMs);
  }

  detach(): void {
    this.#engine.step = this.#step;
  }
}

/** Starts the simulator with the workload's scripts, or connects to the remote server. */
export async function openBackend(
  workload: GeneratedWorkload,
  o: ResolvedLiveScalarOptions,
): Promise<LiveBackend> {
  if (o.backend === "sim") {
    const sim = await startSimServer({ profile: o.profile, timeScale: o.timeScale });
    sim.registerScripts(scriptsFromRuns(workload.runs));
    const tap = new EngineTap(sim.engine, o.timeScale);
    return {
      baseURL: sim.baseURL,
      metricsUrl: sim.metricsUrl,
      model: "sim",
      startOf: (id) => tap.startOf(id),
      setOrigin: (origin) => tap.setOrigin(origin),
      serverSummary: (horizonWallMs) => tap.summary(horizonWallMs * o.timeScale),
      close: async () => {
        tap.detach();
        await sim.close();
      },
    };
  }
  if (o.backend === "gateway") return openGatewayBackend(workload, o);
  return openRemote(o);
}

function openRemote(o: ResolvedLiveScalarOptions): LiveBackend {
  const samples: ServerSignals[] = [];
  const poller =
    o.serverMetricsUrl === undefined
      ? undefined
      : new MetricsPoller({
          url: o.serverMetricsUrl,
          intervalMs: 1000,
          onSignals: (s) => samples.push(s),
        }).start();
  return {
    baseURL: o.backend,
    metricsUrl: o.serverMetricsUrl,
    model: o.model,
    startOf: () => undefined,
    setOrigin: () => {
      samples.length = 0;
    },
    serverSummary() {
      if (samples.length === 0)
        return { busyFraction: null, meanBatchSize: null, kvUsageMean: null, preemptions: null };
      const avg = (f: (s: ServerSignals) => number | undefined) => {
        const xs = samples.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x));
        return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
      };
      const pre = samples.map((s) => s.preemptionsTotal).filter((x): x is number => x !== undefined);
      return {
        busyFraction: avg((s) => (s.running === undefined ? undefined : s.running > 0 ? 1 : 0)),
        meanBatchSize: avg((s) => s.running),
        kvUsageMean: avg((s) => s.kvCacheUsage),
        preemptions: pre.length < 2 ? null : Math.max(0, (pre.at(-1) as number) - (pre[0] as number)),
      };
    },
    close: async () => poller?.stop(),
  };
}
