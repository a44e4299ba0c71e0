/**
 * A fleet member in a child process (the fleet tests): a scheduler with `shared` that sends `calls` calls of
 * `charge` tokens each to the token server, `concurrency` at a time, and prints JSON lines on stdout:
 * {"event":"joined"} once it holds a lease, {"event":"admitted","n":k} every `reportEvery` admissions, and
 * {"event":"done","ok":n,"failed":m,"stats":{...}} at the end. argv[2]: the options as JSON.
 */
import { createSharedScheduler } from "../../../src/fleet/index.js";

interface ChildOptions {
  redis: string;
  key: string;
  processId: string;
  budget: number;
  chunk: number;
  ttlMs: number;
  server: string;
  calls: number;
  concurrency: number;
  charge: number;
  holdMs: number;
  reportEvery?: number;
  /** Hold calls at the server until this many tokens are in flight at once (TokenServer's gate). */
  gate?: number;
}

const o = JSON.parse(process.argv[2] ?? "{}") as ChildOptions;
const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
const scheduler = createSharedScheduler({
  budget: { mode: "fixed", tokens: o.budget },
  shared: {
    redis: o.redis,
    key: o.key,
    processId: o.processId,
    chunkTokens: o.chunk,
    leaseTtlMs: o.ttlMs,
    registry: null,
    log: (line) => process.stderr.write(`${line}\n`),
  },
});
await scheduler.fleet.ready();
print({ event: "joined" });

let next = 0;
let ok = 0;
let failed = 0;
let admitted = 0;
const features = {
  promptTokens: o.charge,
  remainingToolRounds: 0,
  outputTokensPerCall: 0,
  finalOutputTokens: 0,
};
async function worker(): Promise<void> {
  while (next < o.calls) {
    const i = next++;
    const run = scheduler.beginRun({ features });
    try {
      await run.call({ promptTokens: o.charge, expectedOutputTokens: 0 }, async () => {
        admitted++;
        if (o.reportEvery && admitted % o.reportEvery === 0) print({ event: "admitted", n: admitted });
        const res = await fetch(
          `${o.server}/call?charge=${o.charge}&holdMs=${o.holdMs}&id=${o.processId}-${i}&gate=${o.gate ?? 0}`,
        );
        await res.text();
      });
      ok++;
    } catch {
      failed++;
    }
    run.end("ok");
  }
}
await Promise.all(Array.from({ length: o.concurrency }, worker));
print({ event: "done", ok, failed, stats: { ...scheduler.fleetStats(), lastError: null } });
await scheduler.close();
process.exit(0);
