/**
 * `npm run bench:gateway [-- --json] [-- --repeat K] [-- --quick] [-- --abuse [--abuse-runs N]]`: the
 * gateway's cost (docs/gateway.md), measured beside a bare proxy in the same run.
 *
 * One simulator, a bare undici pass-through proxy (the yardstick: same Node, same HTTP client, no
 * scheduling) and the gateway run in child processes; the client load runs here.
 * - Latency: at 1, 100 and 1,000 concurrent streaming clients (32-token answers, the simulator at 2x a GPU's
 *   speed, so streams overlap as they do in service), the same load goes straight to the simulator, through
 *   the bare proxy and through the gateway, in a rotating order, K times; reported: the added latency (path
 *   - direct) of the first SSE event and of the whole stream at p50 and p99 for both proxies, streams per
 *   second, and CPU ms per request of each proxy (from /proc), as the median and min..max over the repeats.
 * - Saturation: 100 closed-loop clients of 16-token answers with the simulator at 1,000x.
 * - Capacity: 1,000 streams of 200 tokens opened at once on each path, counting how many are held open
 *   together.
 * Targets: gateway CPU per stream <= 1.5x the bare proxy's; added first-event p50 at 100 streams <= the bare
 * proxy's + 1 ms; 1,000 of 1,000 streams held. `--abuse` instead measures abandoned 400 KiB runs (heap < 200
 * MB) and a 24 MiB SSE line (event-loop stall < 50 ms): see gateway-bench/abuse.ts. The machine may be
 * shared: read the spread before a verdict.
 */
import { abandonedRuns, endlessSseLine } from "./gateway-bench/abuse.js";
import {
  type Child,
  startBareProxyChild,
  startGatewayChild,
  startSimChild,
} from "./gateway-bench/children.js";
import { type LoadResult, runLoad } from "./gateway-bench/load.js";

const args = process.argv.slice(2);
const json = args.includes("--json");
const quick = args.includes("--quick");
const repeatAt = args.indexOf("--repeat");
const repeat = repeatAt >= 0 ? Math.max(1, Number(args[repeatAt + 1]) || 1) : 3;
const log = (line: string) => {
  if (!json) process.stdout.write(`${line}\n`);
};

if (args.includes("--abuse")) {
  const runsAt = args.indexOf("--abuse-runs");
  const runs = runsAt >= 0 ? Math.max(1, Number(args[runsAt + 1]) || 1) : 10_000;
  log(`abuse: ${runs} runs with 400 KiB prompts abandoned by their clients (upstream never answers) ...`);
  const abandoned = await abandonedRuns(runs, 400 * 1024);
  log(
    `  gateway heap max ${abandoned.heapMaxMB.toFixed(1)} MB (after GC ${abandoned.heapNowMB.toFixed(1)} MB), ` +
      `${abandoned.activeRuns} runs and ${abandoned.retainedRunBytes} bytes retained afterwards, ${abandoned.wallS.toFixed(1)} s; ` +
      `target heap < 200 MB: ${abandoned.heapMaxMB < 200 ? "met" : "NOT met"}`,
  );
  const lines = [];
  for (const cap of [undefined, 64 * 1024 * 1024]) {
    const line = await endlessSseLine(24 * 1024 * 1024, cap);
    lines.push(line);
    log(
      `  one 24 MiB SSE line, event cap ${(line.maxSseEventBytes / 2 ** 20).toFixed(0)} MiB: HTTP ${line.status}, ` +
        `${line.received} bytes to the client in ${line.ms.toFixed(0)} ms; longest event-loop stall ${line.eventLoopMaxMs.toFixed(1)} ms ` +
        `(idle: ${line.idleStallMs.toFixed(1)} ms) ` +
        `(target < 50 ms: ${line.eventLoopMaxMs < 50 ? "met" : "NOT met"}), heap max ${line.heapMaxMB.toFixed(1)} MB`,
    );
  }
  if (json) process.stdout.write(`${JSON.stringify({ abandoned, sseLine: lines })}\n`);
  process.exit(0);
}

/** Concurrency -> sequential streams per worker. */
const POINTS: Array<[number, number]> = quick
  ? [
      [1, 10],
      [100, 2],
      [1000, 1],
    ]
  : [
      [1, 40],
      [100, 5],
      [1000, 1],
    ];
/** Tokens per answer and time scale of the latency points: 32 tokens at 2x a GPU (~7.5 ms per token). */
const LATENCY_TOKENS = 32;
const LATENCY_TIME_SCALE = 2;

interface Spread {
  median: number;
  min: number;
  max: number;
}
function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  return {
    median: s[Math.floor((s.length - 1) / 2)] as number,
    min: s[0] as number,
    max: s.at(-1) as number,
  };
}
const f = (s: Spread, digits = 2) =>
  `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}..${s.max.toFixed(digits)})`;

type Path = "direct" | "bare" | "via";
/** The three paths in a rotating order per repeat, so that drift on a shared machine hits each alike. */
const ORDERS: Path[][] = [
  ["direct", "bare", "via"],
  ["via", "direct", "bare"],
  ["bare", "via", "direct"],
];

async function latencyPoints(
  sim: Child,
  bare: Child,
  gateway: Child,
  points: ReadonlyArray<[number, number]>,
) {
  const rows = [];
  for (const [concurrency, perWorker] of points) {
    const results: Record<Path, LoadResult[]> = { direct: [], bare: [], via: [] };
    /** CPU ms per request: the gateway's, the bare proxy's, and the simulator's straight and through the gateway. */
    const cpu = {
      gateway: [] as number[],
      bareProxy: [] as number[],
      simDirect: [] as number[],
      simVia: [] as number[],
    };
    const measure = async (path: Path) => {
      const simBefore = sim.cpuMs();
      const proxy = path === "bare" ? bare : gateway;
      const proxyBefore = proxy.cpuMs();
      const port = path === "direct" ? sim.port : path === "bare" ? bare.port : gateway.port;
      const result = await runLoad(port, concurrency, perWorker);
      const n = Math.max(1, result.requests);
      results[path].push(result);
      if (path === "direct") cpu.simDirect.push((sim.cpuMs() - simBefore) / n);
      if (path === "via") cpu.simVia.push((sim.cpuMs() - simBefore) / n);
      if (path === "via") cpu.gateway.push((proxy.cpuMs() - proxyBefore) / n);
      if (path === "bare") cpu.bareProxy.push((proxy.cpuMs() - proxyBefore) / n);
    };
    // Warm every path (connections, JIT) before measuring.
    for (const port of [sim.port, bare.port, gateway.port]) await runLoad(port, Math.min(concurrency, 50), 2);
    for (let k = 0; k < repeat; k++)
      for (const path of ORDERS[k % ORDERS.length] as Path[]) await measure(path);
    const direct = results.direct;
    const added = (of: LoadResult[], pick: (r: LoadResult) => number) =>
      spread(of.map((v, i) => pick(v) - pick(direct[i] as LoadResult)));
    const addedOf = (of: LoadResult[]) => ({
      p50: added(of, (r) => r.ttfbMs.p50),
      p99: added(of, (r) => r.ttfbMs.p99),
    });
    const all = [...results.direct, ...results.bare, ...results.via];
    const row = {
      concurrency,
      requestsPerRepeat: results.via[0]?.requests ?? 0,
      failed: all.reduce((a, r) => a + r.failed, 0),
      /** Added first-event latency (path minus direct): the gateway's, and the bare proxy's beside it. */
      addedTtfbMs: { gateway: addedOf(results.via), bareProxy: addedOf(results.bare) },
      addedE2eMs: {
        gateway: { p50: added(results.via, (r) => r.e2eMs.p50), p99: added(results.via, (r) => r.e2eMs.p99) },
        bareProxy: {
          p50: added(results.bare, (r) => r.e2eMs.p50),
          p99: added(results.bare, (r) => r.e2eMs.p99),
        },
      },
      directTtfbMs: {
        p50: spread(direct.map((r) => r.ttfbMs.p50)),
        p99: spread(direct.map((r) => r.ttfbMs.p99)),
      },
      gatewayTtfbMs: {
        p50: spread(results.via.map((r) => r.ttfbMs.p50)),
        p99: spread(results.via.map((r) => r.ttfbMs.p99)),
      },
      directRps: spread(direct.map((r) => r.requestsPerSecond)),
      bareProxyRps: spread(results.bare.map((r) => r.requestsPerSecond)),
      gatewayRps: spread(results.via.map((r) => r.requestsPerSecond)),
      gatewayHeld: Math.max(...results.via.map((r) => r.held)),
      cpuMsPerRequest: {
        gateway: spread(cpu.gateway),
        bareProxy: spread(cpu.bareProxy),
        /** Gateway over bare proxy, per repeat (target <= 1.5). */
        gatewayOverBare: spread(cpu.gateway.map((g, i) => g / (cpu.bareProxy[i] ?? Number.NaN))),
        simulatorDirect: spread(cpu.simDirect),
        simulatorThroughGateway: spread(cpu.simVia),
      },
    };
    const a = row.addedTtfbMs;
    log(
      `  ${String(concurrency).padStart(4)} clients: added first-event p50 gateway ${f(a.gateway.p50)} ms, bare proxy ${f(a.bareProxy.p50)} ms; ` +
        `p99 gateway ${f(a.gateway.p99)} ms, bare proxy ${f(a.bareProxy.p99)} ms\n` +
        `        added end p50 gateway ${f(row.addedE2eMs.gateway.p50)} ms, bare ${f(row.addedE2eMs.bareProxy.p50)} ms; ` +
        `streams/s direct ${f(row.directRps, 0)}, bare ${f(row.bareProxyRps, 0)}, gateway ${f(row.gatewayRps, 0)}; failed ${row.failed}\n` +
        `        CPU ms per request: gateway ${f(row.cpuMsPerRequest.gateway)}, bare proxy ${f(row.cpuMsPerRequest.bareProxy)} ` +
        `(gateway / bare ${f(row.cpuMsPerRequest.gatewayOverBare)}); simulator ${f(row.cpuMsPerRequest.simulatorDirect)} ` +
        `(straight) / ${f(row.cpuMsPerRequest.simulatorThroughGateway)} (through the gateway)`,
    );
    rows.push(row);
  }
  return rows;
}

/** Runs `body` with a simulator, a bare proxy and a gateway in front of it, stopping all three after. */
async function withChildren<T>(
  tokens: number,
  timeScale: number,
  body: (sim: Child, bare: Child, gateway: Child) => Promise<T>,
): Promise<T> {
  const sim = await startSimChild(tokens, timeScale);
  const bare = await startBareProxyChild(sim.port);
  const gateway = await startGatewayChild([sim.port]);
  try {
    return await body(sim, bare, gateway);
  } finally {
    await gateway.stop();
    await bare.stop();
    await sim.stop();
  }
}

log(
  `latency: ${LATENCY_TOKENS}-token streams, simulator at ${LATENCY_TIME_SCALE}x, ${repeat} repeats per point, ` +
    "median (min..max) over repeats, gateway minus direct:",
);
const points = await withChildren(LATENCY_TOKENS, LATENCY_TIME_SCALE, (sim, bare, gateway) =>
  latencyPoints(sim, bare, gateway, POINTS),
);

log("saturation: 100 closed-loop clients, 16-token answers, simulator at 1000x (nothing waits on the GPU):");
const saturation = await withChildren(16, 1000, (sim, bare, gateway) =>
  latencyPoints(sim, bare, gateway, [[100, quick ? 5 : 20]]),
);

const CAPACITY_STREAMS = 1000;
log(
  `capacity: ${CAPACITY_STREAMS} streams of 200 tokens opened at once (simulator at 2x), straight, through the bare proxy and through the gateway ...`,
);
const capacity = await withChildren(200, 2, async (sim, bare, gateway) => ({
  direct: await runLoad(sim.port, CAPACITY_STREAMS, 1),
  bare: await runLoad(bare.port, CAPACITY_STREAMS, 1),
  gateway: await runLoad(gateway.port, CAPACITY_STREAMS, 1),
}));
for (const [name, r] of Object.entries(capacity))
  log(`  ${name}: ${r.held} streams held at once, ${r.requests - r.failed} completed, ${r.failed} failed`);

const at100 = points.find((p) => p.concurrency === 100);
const addedAt100 = at100?.addedTtfbMs.gateway.p50.median ?? Number.POSITIVE_INFINITY;
const bareAt100 = at100?.addedTtfbMs.bareProxy.p50.median ?? Number.NaN;
const cpuRatio = at100?.cpuMsPerRequest.gatewayOverBare.median ?? Number.POSITIVE_INFINITY;
const result = {
  repeat,
  points,
  saturation: saturation[0],
  capacity: {
    streams: CAPACITY_STREAMS,
    held: capacity.gateway.held,
    failed: capacity.gateway.failed,
    direct: { held: capacity.direct.held, failed: capacity.direct.failed },
    bareProxy: { held: capacity.bare.held, failed: capacity.bare.failed },
  },
  targets: {
    addedP50At100Ms: addedAt100,
    bareProxyAddedP50At100Ms: bareAt100,
    addedP50At100Met: addedAt100 <= bareAt100 + 1,
    cpuGatewayOverBareAt100: cpuRatio,
    cpuMet: cpuRatio <= 1.5,
    streamsHeldMet: capacity.gateway.held >= CAPACITY_STREAMS && capacity.gateway.failed === 0,
  },
};
if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  const t = result.targets;
  log(
    `targets: gateway CPU per stream <= 1.5x the bare proxy's at 100 streams: ${t.cpuMet ? "met" : "NOT met"} (${cpuRatio.toFixed(2)}x); ` +
      `added first-event p50 at 100 streams <= bare proxy's + 1 ms: ${t.addedP50At100Met ? "met" : "NOT met"} ` +
      `(${addedAt100.toFixed(2)} ms vs ${bareAt100.toFixed(2)} ms); ${CAPACITY_STREAMS} of ${CAPACITY_STREAMS} streams held: ` +
      `${t.streamsHeldMet ? "met" : "NOT met"} (${capacity.gateway.held})`,
  );
}
