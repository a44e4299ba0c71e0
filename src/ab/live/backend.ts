/**
 * The server a live point talks to: the embedded simulator (started here, fresh for every point, with the
 * workload's scripts) or a remote OpenAI-compatible server. With the simulator, `EngineTap` watches the
 * engine's steps to time when each request is first served and to measure the server side (busy fraction,
 * batch size, KV use, preemptions) as virtual mode does. A remote server's side comes from its /metrics, when
 * given: KV use and preemptions; busy fraction and batch size are then estimated from the `running` gauge.
 */
import { scriptsFromRuns, startSimServer } from "../../sim/index.js";
import type { GeneratedWorkload } from "../../workload/types.js";
import { EngineTap } from "./engine-tap.js";
import { openGatewayBackend } from "./gateway-backend.js";
import type { ResolvedLiveScalarOptions } from "./options.js";
import { type LiveBackend, openRemote } from "./remote-backend.js";

// The types stay importable from here (the live index exports them from this module).
export type { LiveBackend, LiveServerSummary } from "./remote-backend.js";

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
