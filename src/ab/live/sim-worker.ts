/**
 * Worker-thread entry of the `sim` backend with `simThread: true` (sim-thread.ts): the simulator's HTTP server
 * and engine on their own event loop and core, so that its steps and SSE writes do not delay the agents'
 * loop in the bench process. It answers the main thread's three questions: where it listens, when each
 * completion started (on the main thread's clock), and the server-side summary over a horizon.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type ConversationScript, startSimServer } from "../../sim/index.js";
import { EngineTap } from "./engine-tap.js";

export interface SimWorkerData {
  profile: string;
  timeScale: number;
  scripts: ConversationScript[];
}

/** Messages from the main thread. Times are absolute (`performance.timeOrigin + performance.now()`). */
export type SimWorkerRequest =
  | { type: "origin"; absoluteMs: number }
  | { type: "starts" }
  | { type: "summary"; horizonMs: number }
  | { type: "close" };

const data = workerData as SimWorkerData;
const port = parentPort;
if (port === null) throw new Error("sim-worker.ts runs as a worker thread");
const sim = await startSimServer({ profile: data.profile, timeScale: data.timeScale });
sim.registerScripts(data.scripts);
const tap = new EngineTap(sim.engine, data.timeScale);
// Absolute time of this thread's clock zero: converts its performance.now() to the main thread's.
const toAbsolute = (ms: number) => performance.timeOrigin + ms;
port.on("message", async (message: SimWorkerRequest) => {
  if (message.type === "origin") tap.setOrigin(message.absoluteMs - performance.timeOrigin);
  else if (message.type === "starts") {
    const starts = [...tap.starts()].map(([id, ms]) => [id, toAbsolute(ms)] as const);
    port.postMessage({ type: "starts", starts });
  } else if (message.type === "summary") {
    port.postMessage({ type: "summary", summary: tap.summary(message.horizonMs) });
  } else {
    tap.detach();
    await sim.close();
    port.postMessage({ type: "closed" });
    port.close();
  }
});
port.postMessage({ type: "ready", baseURL: sim.baseURL, metricsUrl: sim.metricsUrl });
