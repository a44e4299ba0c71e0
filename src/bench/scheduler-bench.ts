/**
 * `npm run bench:scheduler [-- --json]`: the cost of one scheduler operation (enqueue + admit + release)
 * with N calls queued, the heap memory per queued call, and the same operation through p-queue with
 * per-item priority (what a TypeScript user would reach for), measured side by side in one run.
 *
 * Scheduler: policy `augserve` (Stage I + Stage II scoring, deadline transitions, online cost model),
 * a fixed budget holding ~64 calls in flight, N calls queued behind it. One operation = release the oldest
 * in-flight call (after reporting its first token and tokens, which teaches the cost model), which admits the
 * best queued call, and queue that run's next call: the queue stays at N.
 * p-queue: concurrency 64, N tasks queued with priorities; each task, when it runs, adds its successor with a
 * random priority and returns: the queue stays at N. Both are timed for at least {@link MIN_TIMED_MS}.
 *
 * Time is the process's CPU time (user + system, `process.cpuUsage()`), not wall time: on a shared machine
 * wall time mostly measures the other tenants. Both sides are measured the same way.
 *
 * Needs `--expose-gc` (the npm script passes it) for the memory figure.
 */
import PQueue from "p-queue";
import { type CallTicket, createScheduler, type RunHandle, type SubmitHandlers } from "../scheduler/index.js";

const SIZES = [100, 1_000, 10_000, 100_000];
const IN_FLIGHT = 64;
const MIN_TIMED_MS = 300;
const WARMUP_OPS = 2_000;

interface Row {
  queued: number;
  usPerOp: number;
  pQueueUsPerOp: number;
  bytesPerQueuedCall: number;
}

/** Deterministic PRNG (mulberry32), so every run sees the same call sizes. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** CPU time of this process, ms. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1_000;
}

const gc = (globalThis as { gc?: () => void }).gc;
function heapUsed(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

function benchScheduler(queued: number): { usPerOp: number; bytesPerQueuedCall: number } {
  const random = prng(queued);
  const scheduler = createScheduler({
    policy: "augserve",
    maxQueueLength: queued + 2 * IN_FLIGHT,
    budget: { mode: "fixed", tokens: IN_FLIGHT * 2_000 },
  });
  const inFlight: CallTicket[] = [];
  const handlers: SubmitHandlers = { onAdmit: (ticket) => inFlight.push(ticket) };
  const runs: RunHandle[] = [];
  const spec = () => ({ promptTokens: 200 + Math.floor(random() * 3_000), cachedPromptTokens: 100 });
  for (let i = 0; i < queued + IN_FLIGHT; i++) {
    runs.push(
      scheduler.beginRun({
        runId: `r${i}`,
        features: {
          promptTokens: 1_000,
          remainingToolRounds: Math.floor(random() * 8),
          outputTokensPerCall: 20 + Math.floor(random() * 400),
          finalOutputTokens: 50 + Math.floor(random() * 500),
        },
      }),
    );
  }
  // Fill the budget, then measure the heap growth of N queued calls.
  for (let i = 0; scheduler.snapshot().queued === 0 && i < runs.length; i++)
    runs[i]?.submit(spec(), handlers);
  const filled = scheduler.snapshot().inFlightCalls + scheduler.snapshot().queued;
  const before = heapUsed();
  for (let i = filled; i < runs.length && scheduler.snapshot().queued < queued; i++)
    runs[i]?.submit(spec(), handlers);
  const bytesPerQueuedCall = (heapUsed() - before) / scheduler.snapshot().queued;

  const runOf = new Map<string, RunHandle>(runs.map((run) => [run.id, run]));
  const op = () => {
    const ticket = inFlight.shift();
    if (!ticket) throw new Error("nothing in flight");
    ticket.onFirstToken();
    ticket.onTokens(100);
    ticket.complete({ outputTokens: 100 });
    runOf.get(ticket.runId)?.submit(spec(), handlers);
  };
  for (let i = 0; i < WARMUP_OPS; i++) op();
  let ops = 0;
  const start = cpuMs();
  while (cpuMs() - start < MIN_TIMED_MS) {
    for (let i = 0; i < 1_000; i++) op();
    ops += 1_000;
  }
  const usPerOp = ((cpuMs() - start) * 1_000) / ops;
  return { usPerOp, bytesPerQueuedCall };
}

async function benchPQueue(queued: number): Promise<number> {
  const random = prng(queued + 1);
  const queue = new PQueue({ concurrency: IN_FLIGHT, autoStart: false });
  let ops = 0;
  let target = Number.POSITIVE_INFINITY;
  let done: () => void = () => {};
  const task = async (): Promise<void> => {
    ops += 1;
    if (ops === target) done();
    if (ops < target) void queue.add(task, { priority: Math.floor(random() * 1_000_000) });
  };
  // Descending priorities append in O(1), so the fill itself is not the bottleneck.
  for (let i = 0; i < queued + IN_FLIGHT; i++) void queue.add(task, { priority: queued + IN_FLIGHT - i });
  const measure = (count: number) =>
    new Promise<number>((resolve) => {
      const start = cpuMs();
      target = ops + count;
      done = () => resolve(cpuMs() - start);
      queue.start();
    });
  await measure(Math.min(WARMUP_OPS, queued));
  queue.pause();
  let elapsed = 0;
  let measured = 0;
  for (let batch = 500; elapsed < MIN_TIMED_MS; batch *= 2) {
    elapsed += await measure(batch);
    queue.pause();
    measured += batch;
  }
  queue.clear();
  return (elapsed * 1_000) / measured;
}

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  if (!gc && !json)
    console.warn("warning: run with --expose-gc (npm run bench:scheduler) for the memory figure");
  const rows: Row[] = [];
  for (const queued of SIZES) {
    const { usPerOp, bytesPerQueuedCall } = benchScheduler(queued);
    const pQueueUsPerOp = await benchPQueue(queued);
    rows.push({ queued, usPerOp, pQueueUsPerOp, bytesPerQueuedCall });
  }
  const round = (x: number, digits: number) => Number(x.toFixed(digits));
  if (json) {
    const out = rows.map((r) => ({
      queued: r.queued,
      usPerOp: round(r.usPerOp, 3),
      pQueueUsPerOp: round(r.pQueueUsPerOp, 3),
      bytesPerQueuedCall: Math.round(r.bytesPerQueuedCall),
    }));
    console.log(JSON.stringify({ rows: out }));
    return;
  }
  console.log(
    `AugServe scheduler (augserve policy, Stage II on) vs p-queue per-item priority, node ${process.version}`,
  );
  console.log("one op = enqueue + admit + release with N calls queued; time = process CPU time\n");
  console.log(
    ["queued", "us/op", "p-queue us/op", "speed-up", "bytes/queued call"].map((h) => h.padStart(18)).join(""),
  );
  for (const r of rows) {
    const cells = [
      r.queued.toLocaleString("en-US"),
      r.usPerOp.toFixed(2),
      r.pQueueUsPerOp.toFixed(2),
      `${(r.pQueueUsPerOp / r.usPerOp).toFixed(1)}x`,
      Math.round(r.bytesPerQueuedCall).toString(),
    ];
    console.log(cells.map((c) => c.padStart(18)).join(""));
  }
  const at10k = rows.find((r) => r.queued === 10_000);
  if (at10k) {
    const ok =
      at10k.usPerOp <= 5 && at10k.pQueueUsPerOp / at10k.usPerOp >= 5 && at10k.bytesPerQueuedCall <= 1024;
    console.log(
      `\ntargets at 10,000 queued (<= 5 us/op, >= 5x p-queue, <= 1 KiB/call): ${ok ? "met" : "NOT met"}`,
    );
  }
}

await main();
