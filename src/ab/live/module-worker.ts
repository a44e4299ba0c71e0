/**
 * Starts a sibling module of src/ab/live/ in a worker thread, in the form this process runs (TypeScript under
 * tsx, JavaScript once built). Under tsx the worker registers tsx's loader itself (module hooks are per
 * thread), then imports the entry.
 */
import { Worker } from "node:worker_threads";

/** A worker running `./<name>.ts` (or `.js`) beside this module, with `workerData`. */
export function startModuleWorker(name: string, workerData: unknown): Worker {
  const ext = import.meta.url.endsWith(".ts") ? "ts" : "js";
  const entry = new URL(`./${name}.${ext}`, import.meta.url);
  return ext === "ts"
    ? new Worker(
        `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); });`,
        { eval: true, workerData },
      )
    : new Worker(entry, { workerData });
}
