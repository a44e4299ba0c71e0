/**
 * Child process of `bench:gateway -- --abuse`: a gateway in front of the upstream given as argument, plus a
 * small stats server on its own port that reports what the abuse costs this process: the largest heap seen
 * (sampled every 20 ms) and the longest event-loop stall (`monitorEventLoopDelay`, 1 ms resolution). Gateway
 * options come as JSON in the second argument. Prints `gatewayPort statsPort`; exits on SIGTERM.
 */
import { createServer } from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { startGateway } from "../../gateway/server.js";

const upstream = process.argv[2] ?? "http://127.0.0.1:8000/v1";
const extra = JSON.parse(process.argv[3] ?? "{}") as Record<string, unknown>;
const gateway = await startGateway({
  upstreams: [upstream],
  port: 0,
  scheduler: { budget: { mode: "fixed", tokens: 100_000_000 } },
  logger: { warn: () => {} },
  ...extra,
});

const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
let heapMax = 0;
const sampler = setInterval(() => {
  heapMax = Math.max(heapMax, process.memoryUsage().heapUsed);
}, 20);
sampler.unref();

const stats = createServer((req, res) => {
  req.resume();
  if (req.method === "POST") {
    loop.reset();
    heapMax = process.memoryUsage().heapUsed;
    return void res.writeHead(204).end();
  }
  (globalThis as { gc?: () => void }).gc?.();
  const body = {
    heapMaxMB: heapMax / 2 ** 20,
    heapNowMB: process.memoryUsage().heapUsed / 2 ** 20,
    eventLoopMaxMs: loop.max / 1e6,
    activeRuns: gateway.activeRuns,
    retainedRunBytes: gateway.retainedRunBytes,
  };
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
});
stats.listen(0, "127.0.0.1", () => {
  const address = stats.address();
  process.stdout.write(
    `${gateway.port} ${typeof address === "object" && address !== null ? address.port : 0}\n`,
  );
});
process.once("SIGTERM", () => {
  stats.close();
  void gateway.close().then(() => process.exit(0));
});
