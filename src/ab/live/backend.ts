/**
 * The server a live point talks to: the embedded simulator (started here, fresh for every point, with the
 * workload's scripts) or a remote OpenAI-compatible server. With the simulator, `EngineTap` watches the
 * engine's steps to time when each request is first served and to measure the server side (busy fraction,
 * batch size, KV use, preemptions) as virtual mode does. A remote server's side comes from its /metrics, when
 * given: KV use and preemptions; busy fraction and batch size are then estimated from the `running` gauge.
 */
import { MetricsPoller } from "../../backend/poller.js";
import type { ServerSignals } from "../../scheduler/types.js";
import { scriptsFromRuns, startSimServer } from "../../sim/index.js";
import type { GeneratedWorkload } from "../../workload/types.js";
import { EngineTap } from "./engine-tap.js";
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
  serverSummary(horizonWallMs: number): LiveServerSummary | Promise<LiveServerSummary>;
  /**
   * Called once the runs have ended and before `startOf` is read: a backend whose server runs elsewhere (a
   * worker thread) fetches what `startOf` answers from.
   */
  settle?(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the simulator with the workload's scripts, or connects to the remote server. */
export async function openBackend(
  workload: GeneratedWorkload,
  o: ResolvedLiveScalarOptions,
): Promise<LiveBackend> {
  if (o.backend === "sim" && o.simThread) {
    const { openSimThread } = await import("./sim-thread.js");
    return openSimThread(workload, o);
  }
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
  if (o.backend === "engine") {
    const { openEngineBackend } = await import("./engine-backend.js");
    return openEngineBackend(workload, o);
  }
  if (o.backend === "gateway") return openGatewayBackend(workload, o);
  return openRemote(o);
}

/** A remote OpenAI-compatible server; its side comes from its /metrics (vLLM's, SGLang's or llama.cpp's). */
export function openRemote(o: ResolvedLiveScalarOptions): LiveBackend {
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
