/**
 * One process of `bench:shared`: generates the workload (the same runs in every process), keeps the runs whose
 * index is `rem` modulo `mod`, and drives them with `client.ts` through its scheduler, local or shared through
 * Redis. Starts at the wall instant the parent gives, so that the processes' arrivals interleave as one stream.
 * Prints one JSON line at the end: records, counters, fleet stats, and its in-flight tokens sampled over time.
 * argv[2]: the options as JSON.
 */
import { setMaxListeners } from "node:events";
import { readFileSync } from "node:fs";
import { MetricsPoller } from "../../backend/poller.js";
import { createSharedScheduler } from "../../fleet/index.js";
import { createPredictor } from "../../predict/predictor.js";
import type { SchedulerOptions } from "../../scheduler/options.js";
import { loadWorkload } from "../../workload/load.js";
import { type ClientCounters, runConversation } from "./client.js";

export interface ChildOptions {
  workload: string;
  ratePerS: number;
  durationS: number;
  mod: number;
  rem: number;
  baseURL: string;
  metricsUrl: string;
  timeScale: number;
  /** Wall ms after the start at which open runs are aborted (reported unfinished). */
  stopAfterMs: number;
  scheduler: SchedulerOptions;
  shared?: { redis: string; key: string; chunkTokens: number; processId: string };
}

const o = JSON.parse(process.argv[2] ?? "{}") as ChildOptions;
const file = JSON.parse(readFileSync(o.workload, "utf8")) as Record<string, unknown>;
const workload = loadWorkload({ ...file, durationS: o.durationS }, { ratePerS: o.ratePerS });
const runs = workload.runs.filter((_, i) => i % o.mod === o.rem);
const T = o.timeScale;
const clock = { now: () => performance.now() * T };
const schedulerOptions = { ...o.scheduler, slo: workload.slo };
const scheduler = o.shared
  ? createSharedScheduler(
      {
        ...schedulerOptions,
        shared: { ...o.shared, registry: null, log: (l) => process.stderr.write(`${l}\n`) },
      },
      { clock, wallPerClockMs: 1 / T },
    )
  : createSharedScheduler(schedulerOptions, { clock });
if ("fleet" in scheduler)
  await (scheduler as { fleet: { ready(): Promise<void> } }).fleet.ready().catch(() => {});

// The server's gauges, about once per unscaled second, as the middleware's poller feeds them.
const poller = new MetricsPoller({
  url: o.metricsUrl,
  intervalMs: Math.max(50, 1000 / T),
  onSignals: (signals) => scheduler.observe(signals),
}).start();

// Ready: the parent answers with the wall instant (Date.now()) at which the arrival window starts.
process.stdout.write("ready\n");
const startAtEpochMs = await new Promise<number>((resolve) => {
  process.stdin.once("data", (data) => resolve(Number(String(data).trim())));
});
const origin = performance.now() + (startAtEpochMs - Date.now());
const abort = new AbortController();
// Every run's requests listen to this one signal.
setMaxListeners(0, abort.signal);
const stop = setTimeout(() => abort.abort(), Math.max(0, origin - performance.now()) + o.stopAfterMs);
const counters: ClientCounters = { admitWaitsMs: [], admitted: 0 };
/**
 * [wall ms, tokens in flight, calls admitted so far, 1 while on the fleet's fallback share, Redis round trips
 * so far], every 20 ms.
 */
const inflight: [number, number, number, number, number][] = [];
const roundTrips = () =>
  "fleetStats" in scheduler
    ? (scheduler as { fleetStats(): { roundTrips: number } }).fleetStats().roundTrips
    : 0;
const fleetMode = () =>
  "fleet" in scheduler ? (scheduler as { fleet: { mode: string } }).fleet.mode : "local";
const sampler = setInterval(
  () =>
    inflight.push([
      Date.now(),
      scheduler.snapshot().inFlightTokens,
      counters.admitted,
      fleetMode() === "fallback" ? 1 : 0,
      roundTrips(),
    ]),
  20,
);
const predictor = createPredictor();
const records = await Promise.all(
  runs.map((run) =>
    runConversation(run, {
      scheduler,
      predictor,
      baseURL: o.baseURL,
      timeScale: T,
      origin,
      slo: workload.slo,
      signal: abort.signal,
      counters,
    }),
  ),
);
clearTimeout(stop);
poller.stop();
clearInterval(sampler);
const fleet = "fleetStats" in scheduler ? (scheduler as { fleetStats(): object }).fleetStats() : null;
if ("close" in scheduler) await (scheduler as { close(): Promise<void> }).close();
// A pipe write is asynchronous: exit once the (large) line is flushed.
process.stdout.write(
  `${JSON.stringify({ records, counters, fleet: fleet && { ...fleet, lastError: null }, inflight, snapshot: scheduler.snapshot() })}\n`,
  () => process.exit(0),
);
