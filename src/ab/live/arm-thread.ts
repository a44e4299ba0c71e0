/**
 * One live arm in a worker thread (arm-worker.ts). The demo plays its arms at once in real time (time scale 1):
 * each arm on its own event loop spreads the agents' CPU over the machine's cores and keeps one arm's bursts
 * from delaying another's timers.
 */

import type { ArmWorkerData, ArmWorkerReply } from "./arm-worker.js";
import type { LiveResult } from "./driver.js";
import { startModuleWorker } from "./module-worker.js";

/** Runs `runLive(options)` in a worker thread; `onRunEnded` gets its progress. */
export function runLiveInThread(
  options: ArmWorkerData,
  onRunEnded?: (ended: number, total: number) => void,
): Promise<LiveResult> {
  const worker = startModuleWorker("arm-worker", options);
  return new Promise<LiveResult>((resolve, reject) => {
    worker.on("message", (reply: ArmWorkerReply) => {
      if (reply.type === "progress") onRunEnded?.(reply.ended, reply.total);
      else if (reply.type === "done") resolve(reply.result);
      else reject(new Error(`live arm ${options.policy}: ${reply.message}`));
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`live arm ${options.policy}: worker exited (${code})`)));
  });
}
