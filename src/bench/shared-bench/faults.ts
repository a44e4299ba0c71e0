/**
 * The fault schedule of `bench:shared`'s `faults` arm (the fleet, with Redis misbehaving on a timetable) and
 * its per-fault figures, measured from the server's side:
 * - `redis-stopped`: Redis stopped for 5 s, then restarted empty (no persistence);
 * - `flush`: FLUSHALL while the fleet runs;
 * - `key-corrupted`: the state key replaced by another program's value for 3 s, then deleted;
 * - `leased-reset`: the `leased` field of the state set to 0 (it is informative since augserve-fleet/2).
 * Times are seconds from the start of the arrival window at a 30 s window (scaled to the window's length).
 * Per fault, over its span (until the next fault): the peak tokens in flight at the server against the
 * budget, how long the fleet was above the budget and above 1.1x, the calls completed against the fault-free
 * fleet arm over the same span (same runs, same arrival times), the same over the 2 s after Redis was back,
 * and how many processes kept admitting calls.
 */
import type { Redis } from "ioredis";
import { fleetKeys } from "../../fleet/scripts.js";
import type { RedisServer } from "./redis-server.js";

export type FaultName = "redis-stopped" | "flush" | "key-corrupted" | "leased-reset";

interface Fault {
  name: FaultName;
  /** Start, end of the span, and when Redis (or the key) is back, seconds into a 30 s window. */
  at: number;
  until: number;
  backAt: number;
}

export const FAULT_SCHEDULE: readonly Fault[] = [
  { name: "redis-stopped", at: 5, until: 15, backAt: 10 },
  { name: "flush", at: 15, until: 20, backAt: 15 },
  { name: "key-corrupted", at: 20, until: 26, backAt: 23 },
  { name: "leased-reset", at: 26, until: 30, backAt: 26 },
];

/** Runs the schedule from `startMs` (Date.now() of the window start); resolves when every fault was undone. */
export async function runFaults(
  startMs: number,
  windowS: number,
  redis: RedisServer,
  admin: Redis,
  key: string,
): Promise<void> {
  const scale = windowS / 30;
  const k = fleetKeys(key, "default");
  const until = (s: number) =>
    new Promise((r) => setTimeout(r, Math.max(0, startMs + s * scale * 1000 - Date.now())));
  await until(5);
  await redis.pause();
  await until(10);
  await redis.resume();
  await until(15);
  await admin.flushall().catch(() => {});
  await until(20);
  await admin.del(k.state).catch(() => {});
  await admin.set(k.state, "another program's value").catch(() => {});
  await until(23);
  await admin.del(k.state).catch(() => {});
  await until(26);
  await admin.hset(k.state, "leased", "0").catch(() => {});
}

export interface FaultRow {
  fault: FaultName;
  /** Peak server-side tokens in flight over the span, / budget. */
  peak: number;
  /** Milliseconds (20 ms samples) above the budget and above 1.1x the budget. */
  overMs: number;
  over110Ms: number;
  /** Calls completed over the span, / the fault-free fleet arm's over the same span (NaN without it). */
  goodput: number;
  /** The same over the 2 s after Redis (or the key) was back. */
  goodputAfter: number;
  /** Processes that admitted at least one call during the span, of all. */
  serving: string;
}

type Samples = { at: number; server: number }[];
type ChildSamples = (readonly number[])[][];

const count = (times: number[], from: number, to: number) =>
  times.reduce((n, t) => n + (t >= from && t < to ? 1 : 0), 0);

/** The per-fault figures of the faults arm, against the fault-free fleet arm's completions when given. */
export function faultRows(
  startMs: number,
  windowS: number,
  budget: number,
  samples: Samples,
  completions: number[],
  children: ChildSamples,
  reference: { startMs: number; completions: number[] } | null,
): FaultRow[] {
  const scale = windowS / 30;
  return FAULT_SCHEDULE.map((f) => {
    const from = startMs + f.at * scale * 1000;
    const to = startMs + f.until * scale * 1000;
    const back = startMs + f.backAt * scale * 1000;
    const span = samples.filter((s) => s.at >= from && s.at < to);
    const ratio = (a: number, b: number) => {
      if (reference === null) return Number.NaN;
      const shift = reference.startMs - startMs;
      const ref = count(reference.completions, a + shift, b + shift);
      return ref > 0 ? count(completions, a, b) / ref : Number.NaN;
    };
    const serving = children.filter((c) => {
      const inSpan = c.filter((x) => (x[0] ?? 0) >= from && (x[0] ?? 0) < to);
      return inSpan.length > 1 && (inSpan.at(-1)?.[2] ?? 0) > (inSpan[0]?.[2] ?? 0);
    }).length;
    return {
      fault: f.name,
      peak: Math.max(0, ...span.map((s) => s.server)) / budget,
      overMs: 20 * span.filter((s) => s.server > budget).length,
      over110Ms: 20 * span.filter((s) => s.server > 1.1 * budget).length,
      goodput: ratio(from, to),
      goodputAfter: ratio(back, back + 2_000),
      serving: `${serving}/${children.length}`,
    };
  });
}
