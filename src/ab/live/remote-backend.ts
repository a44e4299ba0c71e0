/**
 * What a live point talks to (`LiveBackend`) and the plainest one: a remote OpenAI-compatible server, whose
 * side comes from its /metrics. Apart from backend.ts so that the backends built on it (engine-backend.ts,
 * loaded on demand) need not import the module that loads them.
 */
import { MetricsPoller } from "../../backend/poller.js";
import type { ServerSignals } from "../../scheduler/types.js";
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
