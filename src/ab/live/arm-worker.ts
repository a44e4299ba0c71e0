/**
 * Worker-thread entry of one live arm (arm-thread.ts): `runLive` on its own event loop, so that the arms of a
 * point played at once do not share one loop (and its lag). Posts progress, then the result.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type LiveRunOptions, runLive } from "./driver.js";

/** What the main thread sends: the live options without callbacks (they do not cross threads). */
export type ArmWorkerData = Omit<LiveRunOptions, "onRunEnded" | "predictor">;

export type ArmWorkerReply =
  | { type: "progress"; ended: number; total: number }
  | { type: "done"; result: Awaited<ReturnType<typeof runLive>> }
  | { type: "failed"; message: string };

const port = parentPort;
if (port === null) throw new Error("arm-worker.ts runs as a worker thread");
const post = (reply: ArmWorkerReply) => port.postMessage(reply);
try {
  const result = await runLive({
    ...(workerData as ArmWorkerData),
    onRunEnded: (ended, total) => post({ type: "progress", ended, total }),
  });
  post({ type: "done", result });
} catch (error) {
  post({ type: "failed", message: error instanceof Error ? error.message : String(error) });
}
port.close();
