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
 * random priority and returns: the queue stays at N. Both report the median of {@link WINDOWS} timed windows
 * (robust to a GC pause or a noisy neighbour landing in one window).
 *
 * Time is the process's CPU time (user + system, `process.cpuUsage()`), not wall time: on a shared machine
 * wall time mostly measures the other tenants. Both sides are measured the same way.
 *
 * Needs `--expose-gc` (the npm script passes it) for the memory figure.
 */
import PQueue from "p-queue";
import { type CallTicket, createScheduler, type RunHandle, type SubmitHandlers } from "../scheduler/index.js";
import { mulberry32 } from "../util/prng.js";

const SIZES = [100, 1_000, 10_000, 100_000];
const IN_FLIGHT = 64;
/** Each side is timed over {@link WINDOWS} windows of at least this much CPU time; the median is reported. */
const MIN_TIMED_MS = 100;
const WINDOWS = 5;
const WARMUP_OPS = 2_000;

interface Row {
  queued: number;
  usPerOp: number;
  pQueueUsPerOp: number;
  bytesPerQueuedCall: number;
}

const prng = mulberry32;

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

interface Prepared {
  inFlight: CallTicket[];
  runOf: Map<string, RunHandle>;
  handlers: SubmitHandlers;
  spec: () => { promptTokens: number; cachedPromptTokens: number };
  /** Queues calls until `queued` wait behind the full budget. */
  queueAll: () => number;
}

/** A scheduler with its budget full (~64 calls in flight) and runs begun for `queued` more calls. */
function prepare(queued: number): Prepared {
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
  for (let i = 0; i < queued + 2 * IN_FLIGHT; i++) {
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
  let next = 0;
  while (scheduler.snapshot().queued === 0 && next < runs.length) runs[next++]?.submit(spec(), handlers);
  const queueAll = () => {
    while (scheduler.snapshot().queued < queued && next < runs.length) runs[next++]?.submit(spec(), handlers);
    return scheduler.snapshot().queued;
  };
  return { inFlight, runOf: new Map(runs.map((run) => [run.id, run])), handlers, spec, queueAll };
}

/**
 * Heap growth per queued call: runs are begun and the budget filled before the baseline, so the figure is
 * the calls' own memory (record, heap slots, list links). Small N is replicated over several schedulers
 * (at least 20,000 calls in all) so GC noise does not swamp it.
 */
function bytesPerQueuedCall(queued: number): number {
  const replicas = Array.from({ length: Math.ceil(20_000 / queued) }, () => prepare(queued));
  const before = heapUsed();
  let calls = 0;
  for (const replica of replicas) calls += replica.queueAll();
  const bytes = (heapUsed() - before) / calls;
  replicas.length = 0;
  return bytes;
}

function benchScheduler(queued: number): number {
  const { inFlight, runOf, handlers, spec, queueAll } = prepare(queued);
  queueAll();
  const op = () => {
    const ticket = inFlight.shift();
    if (!ticket) throw new Error("nothing in flight");
    ticket.onFirstToken();
    ticket.onTokens(100);
    ticket.complete({ outputTokens: 100 });
    runOf.get(ticket.runId)?.submit(spec(), handlers);
  };
  for (let i = 0; i < WARMUP_OPS; i++) op();
  const windows: number[] = [];
  for (let w = 0; w < WINDOWS; w++) {
    let ops = 0;
    const start = cpuMs();
    while (cpuMs() - start < MIN_TIMED_MS) {
      for (let i = 0; i < 1_000; i++) op();
      ops += 1_000;
    }
    windows.push(((cpuMs() - start) * 1_000) / ops);
  }
  return median(windows);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] as number;
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
    // Every task queues its successor, so the queue holds N whatever the measuring windows do.
    void queue.add(task, { priority: Math.floor(random() * 1_000_000) });
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
  const windows: number[] = [];
  let batch = 200;
  for (let w = 0; w < WINDOWS; w++) {
    let elapsed = 0;
    let measured = 0;
    while (elapsed < MIN_TIMED_MS) {
      elapsed += await measure(batch);
      queue.pause();
      measured += batch;
      if (elapsed < MIN_TIMED_MS / 4) batch *= 2;
    }
    windows.push((elapsed * 1_000) / measured);
  }
  queue.clear();
  return median(windows);
}

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  if (!gc && !json)
    console.warn("warning: run with --expose-gc (npm run bench:scheduler) for the memory figure");
  const rows: Row[] = [];
  for (const queued of SIZES) {
    const usPerOp = benchScheduler(queued);
    const pQueueUsPerOp = await benchPQueue(queued);
    rows.push({ queued, usPerOp, pQueueUsPerOp, bytesPerQueuedCall: bytesPerQueuedCall(queued) });
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
