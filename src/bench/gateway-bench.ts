/**
 * `npm run bench:gateway [-- --json] [-- --repeat K] [-- --quick]`: the gateway's cost (docs/gateway.md).
 *
 * One simulator and one gateway in front of it run in child processes; the client load runs here.
 * - Latency: at 1, 100 and 1,000 concurrent streaming clients (32-token answers, the simulator at 2x a GPU's
 *   speed, so streams overlap as they do in service), the same load goes straight to the simulator and
 *   through the gateway, alternating, K times; reported: the added latency (gateway - direct) of the first
 *   SSE event and of the whole stream at p50 and p99, and streams per second both ways, as the median and
 *   min..max over the K repeats.
 * - Saturation: 100 closed-loop clients of 16-token answers with the simulator at 1,000x: the most requests
 *   per second each path carries when nothing waits on the GPU (the gateway's CPU cost per request).
 * - Capacity: 1,200 streams of 200 tokens opened at once through the gateway, counting how many are held
 *   open together.
 * Targets: <= 1 ms added at p50 with 100 streams; >= 1,000 streams held. The machine may be shared: read the
 * spread before a verdict.
 */
import { type Child, startGatewayChild, startSimChild } from "./gateway-bench/children.js";
import { type LoadResult, runLoad } from "./gateway-bench/load.js";

const args = process.argv.slice(2);
const json = args.includes("--json");
const quick = args.includes("--quick");
const repeatAt = args.indexOf("--repeat");
const repeat = repeatAt >= 0 ? Math.max(1, Number(args[repeatAt + 1]) || 1) : 3;
const log = (line: string) => {
  if (!json) process.stdout.write(`${line}\n`);
};

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

async function latencyPoints(sim: Child, gateway: Child, points: ReadonlyArray<[number, number]>) {
  const rows = [];
  for (const [concurrency, perWorker] of points) {
    const direct: LoadResult[] = [];
    const via: LoadResult[] = [];
    /** CPU ms per request: the gateway's, and the simulator's straight and through the gateway. */
    const cpu = { gateway: [] as number[], simDirect: [] as number[], simVia: [] as number[] };
    const measure = async (path: "direct" | "via") => {
      const simBefore = sim.cpuMs();
      const gatewayBefore = gateway.cpuMs();
      const result = await runLoad(path === "direct" ? sim.port : gateway.port, concurrency, perWorker);
      const n = Math.max(1, result.requests);
      if (path === "direct") {
        direct.push(result);
        cpu.simDirect.push((sim.cpuMs() - simBefore) / n);
      } else {
        via.push(result);
        cpu.simVia.push((sim.cpuMs() - simBefore) / n);
        cpu.gateway.push((gateway.cpuMs() - gatewayBefore) / n);
      }
    };
    // Warm both paths (connections, JIT) before measuring.
    await runLoad(sim.port, Math.min(concurrency, 50), 2);
    await runLoad(gateway.port, Math.min(concurrency, 50), 2);
    for (let k = 0; k < repeat; k++) {
      // Alternate the order so that drift on a shared machine hits both sides alike.
      if (k % 2 === 0) {
        await measure("direct");
        await measure("via");
      } else {
        await measure("via");
        await measure("direct");
      }
    }
    const added = (pick: (r: LoadResult) => number) =>
      spread(via.map((v, i) => pick(v) - pick(direct[i] as LoadResult)));
    const row = {
      concurrency,
      requestsPerRepeat: via[0]?.requests ?? 0,
      failed: via.reduce((a, r) => a + r.failed, 0) + direct.reduce((a, r) => a + r.failed, 0),
      addedTtfbMs: { p50: added((r) => r.ttfbMs.p50), p99: added((r) => r.ttfbMs.p99) },
      addedE2eMs: { p50: added((r) => r.e2eMs.p50), p99: added((r) => r.e2eMs.p99) },
      directTtfbMs: {
        p50: spread(direct.map((r) => r.ttfbMs.p50)),
        p99: spread(direct.map((r) => r.ttfbMs.p99)),
      },
      gatewayTtfbMs: { p50: spread(via.map((r) => r.ttfbMs.p50)), p99: spread(via.map((r) => r.ttfbMs.p99)) },
      directRps: spread(direct.map((r) => r.requestsPerSecond)),
      gatewayRps: spread(via.map((r) => r.requestsPerSecond)),
      gatewayHeld: Math.max(...via.map((r) => r.held)),
      cpuMsPerRequest: {
        gateway: spread(cpu.gateway),
        simulatorDirect: spread(cpu.simDirect),
        simulatorThroughGateway: spread(cpu.simVia),
      },
    };
    log(
      `  ${String(concurrency).padStart(4)} clients: added first-event p50 ${f(row.addedTtfbMs.p50)} ms, p99 ${f(row.addedTtfbMs.p99)} ms; ` +
        `added end p50 ${f(row.addedE2eMs.p50)} ms, p99 ${f(row.addedE2eMs.p99)} ms; ` +
        `streams/s direct ${f(row.directRps, 0)}, gateway ${f(row.gatewayRps, 0)}; failed ${row.failed}\n` +
        `        CPU ms per request: gateway ${f(row.cpuMsPerRequest.gateway)}, simulator ${f(row.cpuMsPerRequest.simulatorDirect)} ` +
        `(straight) / ${f(row.cpuMsPerRequest.simulatorThroughGateway)} (through the gateway)`,
    );
    rows.push(row);
  }
  return rows;
}

log(
  `latency: ${LATENCY_TOKENS}-token streams, simulator at ${LATENCY_TIME_SCALE}x, ${repeat} repeats per point, ` +
    "median (min..max) over repeats, gateway minus direct:",
);
let sim = await startSimChild(LATENCY_TOKENS, LATENCY_TIME_SCALE);
let gateway = await startGatewayChild([sim.port]);
let points: Awaited<ReturnType<typeof latencyPoints>>;
try {
  points = await latencyPoints(sim, gateway, POINTS);
} finally {
  await gateway.stop();
  await sim.stop();
}

log("saturation: 100 closed-loop clients, 16-token answers, simulator at 1000x (nothing waits on the GPU):");
sim = await startSimChild(16, 1000);
gateway = await startGatewayChild([sim.port]);
let saturation: Awaited<ReturnType<typeof latencyPoints>>;
try {
  saturation = await latencyPoints(sim, gateway, [[100, quick ? 5 : 20]]);
} finally {
  await gateway.stop();
  await sim.stop();
}

const CAPACITY_STREAMS = quick ? 1100 : 1200;
log(
  `capacity: ${CAPACITY_STREAMS} streams of 200 tokens opened at once through the gateway (simulator at 2x) ...`,
);
sim = await startSimChild(200, 2);
gateway = await startGatewayChild([sim.port]);
let capacity: LoadResult;
try {
  capacity = await runLoad(gateway.port, CAPACITY_STREAMS, 1);
} finally {
  await gateway.stop();
  await sim.stop();
}
log(
  `  ${capacity.held} streams held at once, ${capacity.requests - capacity.failed} completed, ${capacity.failed} failed`,
);

const at100 = points.find((p) => p.concurrency === 100);
const result = {
  repeat,
  points,
  saturation: saturation[0],
  capacity: { streams: CAPACITY_STREAMS, held: capacity.held, failed: capacity.failed },
  targets: {
    addedP50At100Ms: at100?.addedTtfbMs.p50.median ?? null,
    addedP50At100Met: (at100?.addedTtfbMs.p50.median ?? Number.POSITIVE_INFINITY) <= 1,
    streamsHeldMet: capacity.held >= 1000,
  },
};
if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  log(
    `targets: added first-event p50 at 100 streams <= 1 ms: ${result.targets.addedP50At100Met ? "met" : "NOT met"} ` +
      `(${result.targets.addedP50At100Ms?.toFixed(2)} ms); >= 1,000 streams held: ${result.targets.streamsHeldMet ? "met" : "NOT met"}`,
  );
}
