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
 * The sustained-overload row (50,000 queued) runs the same operation on a virtual clock that advances
 * {@link OVERLOAD_MS_PER_OP} per operation, as a deep backlog does: the server's measured rates swing
 * between a fast and a slow phase (so the learned cost model starts scoring epochs), the pressure level moves
 * every second of that clock, runs miss their TTFT target while they wait (most of the backlog is
 * hopeless), and calls starve past a short bound (`maxWaitMs` 5 s) into the liveness lane.
 * The shed row measures one refused `submit` (`overload: "shed"`, 50,000 queued): the O(log n) prediction.
 *
 * Needs `--expose-gc` (the npm script passes it) for the memory figure.
 */
import PQueue from "p-queue";
import {
  AugServeOverloadedError,
  type BudgetController,
  type CallTicket,
  type Clock,
  createScheduler,
  type RunHandle,
  type Scheduler,
  type SchedulerOptions,
  type SubmitHandlers,
} from "../scheduler/index.js";
import { mulberry32 } from "../util/prng.js";

const SIZES = [100, 1_000, 10_000, 100_000];
/** Queued calls of the sustained-overload and shed rows. */
const OVERLOAD_QUEUED = 50_000;
/**
 * Virtual time per operation in the sustained-overload row, ms: 250 call life cycles per second, as at 48
 * runs/s of `infercept-mix` (about 5 calls per run).
 */
const OVERLOAD_MS_PER_OP = 4;
/** The overload row's server alternates fast and slow phases of this many operations (10 s). */
const PHASE_OPS = 2_500;
/** Starvation bound of the overload row, ms (shorter than the default so the lane is busy while timed). */
const OVERLOAD_MAX_WAIT_MS = 60_000;
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

/** The sustained-overload and shed rows. */
interface OverloadRow {
  queued: number;
  usPerOp: number;
  /** Calls admitted from the liveness lane per 1,000 timed operations (what the row exercised). */
  promotedPer1kOps: number;
  /** Learned decode rate, lowest and highest seen while timed, ms/token (the cost model moved). */
  decodeMsRange: [number, number];
  /** Of the queued calls at the end, the share that are hopeless (their runs can no longer meet the SLO). */
  hopelessShare: number;
  /** One refused submit under `overload: "shed"` with the same backlog, us. */
  usPerRefusal: number;
}

/** A clock the overload row moves by hand. */
class StepClock implements Clock {
  t = 0;
  now(): number {
    return this.t;
  }
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
  scheduler: Scheduler;
  inFlight: CallTicket[];
  runOf: Map<string, RunHandle>;
  handlers: SubmitHandlers;
  spec: () => { promptTokens: number; cachedPromptTokens: number };
  /** Queues calls until `queued` wait behind the full budget. */
  queueAll: () => number;
}

/**
 * A scheduler with its budget full (~64 calls in flight) and runs begun for `queued` more calls. `clock`
 * and `options` make the overload rows' variant (a virtual clock, a short starvation bound, shedding).
 */
function prepare(queued: number, clock?: Clock, options: SchedulerOptions = {}): Prepared {
  const random = prng(queued);
  const scheduler = createScheduler(
    {
      policy: "augserve",
      maxQueueLength: queued + 2 * IN_FLIGHT,
      budget: { mode: "fixed", tokens: IN_FLIGHT * 2_000 },
      ...options,
    },
    clock ? { clock } : {},
  );
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
  return { scheduler, inFlight, runOf: new Map(runs.map((run) => [run.id, run])), handlers, spec, queueAll };
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

/** Median us per call of `op` over {@link WINDOWS} windows of >= {@link MIN_TIMED_MS} CPU ms, after a warm-up. */
function timeOps(op: () => void, warmup = WARMUP_OPS): { usPerOp: number; ops: number } {
  for (let i = 0; i < warmup; i++) op();
  const windows: number[] = [];
  let total = 0;
  for (let w = 0; w < WINDOWS; w++) {
    let ops = 0;
    const start = cpuMs();
    while (cpuMs() - start < MIN_TIMED_MS) {
      for (let i = 0; i < 1_000; i++) op();
      ops += 1_000;
    }
    windows.push(((cpuMs() - start) * 1_000) / ops);
    total += ops;
  }
  return { usPerOp: median(windows), ops: total };
}

/** One operation: release the oldest in-flight call (reporting its tokens), queue that run's next call. */
function operation(p: Prepared): () => void {
  return () => {
    const ticket = p.inFlight.shift();
    if (!ticket) throw new Error("nothing in flight");
    ticket.onFirstToken();
    ticket.onTokens(100);
    ticket.complete({ outputTokens: 100 });
    p.runOf.get(ticket.runId)?.submit(p.spec(), p.handlers);
  };
}

function benchScheduler(queued: number): number {
  const prepared = prepare(queued);
  prepared.queueAll();
  return timeOps(operation(prepared)).usPerOp;
}

/**
 * The sustained-overload row: {@link OVERLOAD_QUEUED} calls queued on a virtual clock, learned rates and the
 * pressure level changing as under overload, new runs arriving (each run makes 1-8 calls), first calls
 * missing their TTFT target while they wait, starving calls going through the liveness lane.
 */
function benchOverload(): Omit<OverloadRow, "usPerRefusal"> {
  const clock = new StepClock();
  const p = prepare(OVERLOAD_QUEUED, clock, { maxWaitMs: OVERLOAD_MAX_WAIT_MS });
  p.queueAll();
  const { scheduler } = p;
  const random = prng(7);
  const callsLeft = new Map<string, number>();
  let opsDone = 0;
  let nextRun = 0;
  let low = Number.POSITIVE_INFINITY;
  let high = 0;
  const op = () => {
    opsDone += 1;
    clock.t += OVERLOAD_MS_PER_OP;
    const ticket = p.inFlight.shift();
    if (!ticket) throw new Error("nothing in flight");
    // Token gaps follow the server's phase (what the cost model learns): 2 or 6 ms per token.
    const slow = Math.floor(opsDone / PHASE_OPS) % 2 === 1;
    ticket.onFirstToken();
    ticket.onTokens(1);
    clock.t += slow ? 6 : 2;
    ticket.onTokens(1);
    ticket.complete({ outputTokens: 100 });
    const left = (callsLeft.get(ticket.runId) ?? 1 + Math.floor(random() * 8)) - 1;
    let run = p.runOf.get(ticket.runId);
    if (left <= 0 && run) {
      run.end("ok");
      p.runOf.delete(ticket.runId);
      callsLeft.delete(ticket.runId);
      run = scheduler.beginRun({
        runId: `n${nextRun++}`,
        features: {
          promptTokens: 1_000,
          remainingToolRounds: Math.floor(random() * 8),
          outputTokensPerCall: 20 + Math.floor(random() * 400),
          finalOutputTokens: 50 + Math.floor(random() * 500),
        },
      });
      p.runOf.set(run.id, run);
    } else callsLeft.set(ticket.runId, left);
    run?.submit(p.spec(), p.handlers);
    if (opsDone % 250 === 0) {
      // Once per second of the virtual clock, as the bench's observer: the pressure level moves.
      const level = (opsDone / 250) % 3;
      scheduler.observe({
        waiting: level === 2 ? 50 : 0,
        running: 64,
        kvCacheUsage: level === 0 ? 0.5 : 0.85,
      });
      const decode = scheduler.snapshot().costModel?.decodeMsPerToken ?? 0;
      low = Math.min(low, decode);
      high = Math.max(high, decode);
    }
  };
  for (let i = 0; i < 8 * WARMUP_OPS; i++) op();
  const before = scheduler.snapshot().counters.promoted;
  const opsBefore = opsDone;
  low = Number.POSITIVE_INFINITY;
  high = 0;
  const { usPerOp } = timeOps(op, 0);
  const end = scheduler.snapshot();
  const ranked = end.queued - (end.promotedQueued ?? 0);
  return {
    queued: end.queued,
    usPerOp,
    promotedPer1kOps: ((end.counters.promoted - before) * 1_000) / Math.max(1, opsDone - opsBefore),
    decodeMsRange: [low, high],
    hopelessShare: end.queued === 0 ? 0 : (ranked - (end.viableQueued ?? ranked)) / end.queued,
  };
}

/** A budget the refusal row sets by hand (phase 1: room for everything; phase 2: ~64 calls). */
class HandBudget implements BudgetController {
  tokens = 1e12;
  readonly minTokens = 1;
  readonly maxTokens = 1e12;
  readonly nextDecisionAt = Number.POSITIVE_INFINITY;
  onSample(): null {
    return null;
  }
}

/**
 * One refused submit under `overload: "shed"` with {@link OVERLOAD_QUEUED} calls queued, us. The backlog is
 * the second calls of started runs (committed, ranked ahead of any new run), so every new run is refused.
 */
function benchRefusal(): number {
  const clock = new StepClock();
  const budget = new HandBudget();
  const scheduler = createScheduler(
    { policy: "augserve", overload: "shed", maxQueueLength: 2 * OVERLOAD_QUEUED },
    { clock, budget },
  );
  const random = prng(OVERLOAD_QUEUED);
  const runs: RunHandle[] = [];
  const features = () => ({
    promptTokens: 1_000,
    remainingToolRounds: 1 + Math.floor(random() * 6),
    outputTokensPerCall: 20 + Math.floor(random() * 400),
    finalOutputTokens: 50 + Math.floor(random() * 500),
  });
  // Phase 1: every run's first call runs and holds its budget ~2 s (what the drain estimate learns).
  for (let i = 0; i < OVERLOAD_QUEUED + IN_FLIGHT; i++) {
    const run = scheduler.beginRun({ runId: `r${i}`, features: features() });
    runs.push(run);
    let ticket: CallTicket | undefined;
    run.submit({ promptTokens: 1_000 }, { onAdmit: (t) => (ticket = t) });
    clock.t += 2_000;
    ticket?.onFirstToken();
    ticket?.complete({ outputTokens: 100 });
  }
  // Phase 2: the budget holds ~64 calls; the runs' second calls queue behind them.
  budget.tokens = IN_FLIGHT * 2_000;
  const held: CallTicket[] = [];
  for (const run of runs)
    run.submit({ promptTokens: 1_200, cachedPromptTokens: 1_000 }, { onAdmit: (t) => held.push(t) });
  let refused = 0;
  let next = 0;
  const onReject = (error: Error) => {
    if (error instanceof AugServeOverloadedError) refused += 1;
  };
  const op = () => {
    clock.t += OVERLOAD_MS_PER_OP;
    scheduler
      .beginRun({ runId: `new-${next++}`, features: features() })
      .submit({ promptTokens: 500 }, { onAdmit: (t) => held.push(t), onReject });
  };
  const { usPerOp, ops } = timeOps(op, WARMUP_OPS);
  if (refused < ops) throw new Error(`shed row: ${refused} of ${ops} submits were refused, expected all`);
  return usPerOp;
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
  const overload: OverloadRow = { ...benchOverload(), usPerRefusal: benchRefusal() };
  const round = (x: number, digits: number) => Number(x.toFixed(digits));
  if (json) {
    const out = rows.map((r) => ({
      queued: r.queued,
      usPerOp: round(r.usPerOp, 3),
      pQueueUsPerOp: round(r.pQueueUsPerOp, 3),
      bytesPerQueuedCall: Math.round(r.bytesPerQueuedCall),
    }));
    const sustained = {
      queued: overload.queued,
      usPerOp: round(overload.usPerOp, 3),
      promotedPer1kOps: round(overload.promotedPer1kOps, 1),
      decodeMsRange: overload.decodeMsRange.map((x) => round(x, 2)),
      hopelessShare: round(overload.hopelessShare, 3),
      usPerRefusal: round(overload.usPerRefusal, 3),
    };
    console.log(JSON.stringify({ rows: out, sustainedOverload: sustained }));
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
  const o = overload;
  console.log(
    `\nsustained overload, ${o.queued.toLocaleString("en-US")} queued (${(100 * o.hopelessShare).toFixed(0)}% hopeless), ` +
      `rates and pressure moving, ${o.promotedPer1kOps.toFixed(1)} lane admissions per 1k ops, ` +
      `decode rate ${o.decodeMsRange[0].toFixed(1)}-${o.decodeMsRange[1].toFixed(1)} ms/token: ${o.usPerOp.toFixed(2)} us/op`,
  );
  console.log(`overload "shed", 50,000 queued: ${o.usPerRefusal.toFixed(2)} us per refused submit`);
  const at10k = rows.find((r) => r.queued === 10_000);
  if (at10k) {
    const ok =
      at10k.usPerOp <= 5 && at10k.pQueueUsPerOp / at10k.usPerOp >= 5 && at10k.bytesPerQueuedCall <= 1024;
    console.log(
      `\ntargets at 10,000 queued (<= 5 us/op, >= 5x p-queue, <= 1 KiB/call): ${ok ? "met" : "NOT met"}`,
    );
  }
  console.log(`target under sustained overload (<= 5 us/op): ${o.usPerOp <= 5 ? "met" : "NOT met"}`);
}

await main();
