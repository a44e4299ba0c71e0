/**
 * The `sim` backend with the simulator in a worker thread (`simThread: true`): the same server and engine as
 * in-process (sim-worker.ts), on another event loop. The bench process then spends its loop on the agents
 * only; on two cores the simulator's steps and SSE writes no longer add to the agents' event-loop delay.
 */

import type { ServerSummary } from "../../metrics/index.js";
import { scriptsFromRuns } from "../../sim/index.js";
import type { GeneratedWorkload } from "../../workload/types.js";
import { startModuleWorker } from "./module-worker.js";
import type { ResolvedLiveScalarOptions } from "./options.js";
import type { LiveBackend } from "./remote-backend.js";
import type { SimWorkerData, SimWorkerRequest } from "./sim-worker.js";

type Reply =
  | { type: "ready"; baseURL: string; metricsUrl: string }
  | { type: "starts"; starts: Array<readonly [string, number]> }
  | { type: "summary"; summary: ServerSummary }
  | { type: "closed" };

/** Starts the simulator in a worker thread with the workload's scripts. */
export async function openSimThread(
  workload: GeneratedWorkload,
  o: ResolvedLiveScalarOptions,
): Promise<LiveBackend> {
  const data: SimWorkerData = {
    profile: o.profile,
    timeScale: o.timeScale,
    scripts: scriptsFromRuns(workload.runs),
  };
  const worker = startModuleWorker("sim-worker", data);
  const next = <T extends Reply["type"]>(type: T) =>
    new Promise<Extract<Reply, { type: T }>>((resolve, reject) => {
      const onMessage = (reply: Reply) => {
        if (reply.type !== type) return;
        worker.off("message", onMessage);
        worker.off("error", reject);
        resolve(reply as Extract<Reply, { type: T }>);
      };
      worker.on("message", onMessage);
      worker.once("error", reject);
    });
  const send = (request: SimWorkerRequest) => worker.postMessage(request);
  const ready = await next("ready");
  let starts = new Map<string, number>();
  const ask = async <T extends "starts" | "summary">(request: SimWorkerRequest & { type: T }) => {
    const reply = next(request.type);
    send(request);
    return reply;
  };
  return {
    baseURL: ready.baseURL,
    metricsUrl: ready.metricsUrl,
    model: "sim",
    startOf: (id) => starts.get(id),
    setOrigin: (origin) => send({ type: "origin", absoluteMs: performance.timeOrigin + origin }),
    settle: async () => {
      const reply = await ask({ type: "starts" });
      // On this thread's clock.
      starts = new Map(reply.starts.map(([id, absolute]) => [id, absolute - performance.timeOrigin]));
    },
    serverSummary: async (horizonWallMs) =>
      (await ask({ type: "summary", horizonMs: horizonWallMs * o.timeScale })).summary,
    close: async () => {
      const closed = next("closed");
      send({ type: "close" });
      await closed;
      await worker.terminate();
    },
  };
}
