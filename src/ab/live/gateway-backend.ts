/**
 * `--backend gateway` of the live bench: N simulator replicas in this process, each with the workload's
 * scripts and an `EngineTap`, behind a real gateway (`startGateway`) on 127.0.0.1. The agents are plain
 * (no middleware): the gateway schedules them from what it observes, with the point's policy in every
 * replica's scheduler (`plain` and `fcfs-window`: FCFS with a budget too large to bind, a pure proxy that
 * still places by the gateway's rules). The gateway runs on the wall clock, so the SLO it is given is the
 * workload's divided by the time scale.
 */
import { startGateway } from "../../gateway/server.js";
import type { ServerSummary } from "../../metrics/index.js";
import { scriptsFromRuns, startSimServer } from "../../sim/index.js";
import type { GeneratedWorkload } from "../../workload/types.js";
import type { LiveBackend } from "./backend.js";
import { EngineTap } from "./engine-tap.js";
import type { ResolvedLiveScalarOptions } from "./options.js";

function mergeSummaries(summaries: readonly ServerSummary[]): ServerSummary {
  const n = Math.max(1, summaries.length);
  const sum = (f: (s: ServerSummary) => number) => summaries.reduce((a, s) => a + f(s), 0);
  return {
    busyFraction: sum((s) => s.busyFraction) / n,
    meanBatchSize: sum((s) => s.meanBatchSize) / n,
    kvUsageMean: sum((s) => s.kvUsageMean) / n,
    preemptions: sum((s) => s.preemptions),
  };
}

export async function openGatewayBackend(
  workload: GeneratedWorkload,
  o: ResolvedLiveScalarOptions,
): Promise<LiveBackend> {
  const T = o.timeScale;
  const scripts = scriptsFromRuns(workload.runs);
  const sims = await Promise.all(
    Array.from({ length: o.gatewayReplicas }, () =>
      startSimServer({ profile: o.profile, timeScale: T, scripts }),
    ),
  );
  const taps = sims.map((sim) => new EngineTap(sim.engine, T));
  const scheduled = o.policy !== "plain" && o.policy !== "fcfs-window";
  const gateway = await startGateway({
    upstreams: sims.map((s) => s.baseURL),
    port: 0,
    policy: scheduled ? (o.policy as "augserve") : "fcfs",
    placement: o.gatewayPlacement,
    slo: { ttftMs: workload.slo.ttftMs / T, normLatencyMsPerToken: workload.slo.normLatencyMsPerToken / T },
    // The replicas' gauges about once per unscaled second, as the middleware and virtual mode see them.
    metricsPollIntervalMs: Math.max(50, Math.round(1000 / T)),
    ...(scheduled ? {} : { scheduler: { budget: { mode: "fixed", tokens: 1_000_000_000 } } }),
  });
  return {
    baseURL: gateway.baseURL,
    metricsUrl: undefined,
    model: "sim",
    startOf: (id) => {
      for (const tap of taps) {
        const at = tap.startOf(id);
        if (at !== undefined) return at;
      }
      return undefined;
    },
    setOrigin: (origin) => {
      for (const tap of taps) tap.setOrigin(origin);
    },
    serverSummary: (horizonWallMs) => mergeSummaries(taps.map((tap) => tap.summary(horizonWallMs * T))),
    close: async () => {
      await gateway.close();
      for (const tap of taps) tap.detach();
      await Promise.all(sims.map((s) => s.close()));
    },
  };
}
