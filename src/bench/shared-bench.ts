/**
 * `npm run bench:shared` (docs/shared.md): many processes, one budget. Live clients (src/bench/shared-bench/
 * client.ts) in child processes against one simulator (time-scaled), a real redis-server, `infercept-mix`
 * at twice `plain`'s sustainable rate of the profile. Arms, each on a fresh simulator:
 * - `one`: one process with all the traffic (the reference);
 * - `fleet`: N processes splitting it (run i goes to process i mod N), one budget shared through Redis;
 * - `independent`: N processes, each with its own full budget (no sharing);
 * - `split`: N processes, each with 1/N of the budget bounds (the simplest ablation: a static split).
 * Then the cost at light load: one process with a shared budget vs a local one (Redis round trips per
 * admitted call, submit -> admit latency p50/p99).
 *
 * - `faults`: the fleet again, with Redis stopped 5 s and restarted, flushed, its key corrupted, `leased` reset
 *   (shared-bench/faults.ts): per fault, the peak over the budget, how long, and the calls completed against
 *   the fault-free fleet arm.
 * The budget is fixed (32,768 tokens, `--fixed-budget`; 0 for the adaptive law) so that it binds in every arm.
 *
 * Flags: --workload PATH, --profile NAME, --rate R, --duration-s S, --time-scale T, --processes N, --chunk C,
 * --tail-s S, --arms a,b, --fixed-budget N, --no-cost, --json, --quiet.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { z } from "zod";
import { fleetKeys } from "../fleet/scripts.js";
import { percentile, type RunRecord, summarize } from "../metrics/index.js";
import { scriptsFromRuns, startSimServer } from "../sim/index.js";
import { AugServeError, parseWith } from "../util/index.js";
import { loadWorkload } from "../workload/load.js";
import type { ChildOptions } from "./shared-bench/child.js";
import { type FaultRow, faultRows, runFaults } from "./shared-bench/faults.js";
import { ChargeProxy } from "./shared-bench/proxy.js";
import { RedisServer } from "./shared-bench/redis-server.js";

const ARMS = ["one", "fleet", "independent", "split", "faults"] as const;
type Arm = (typeof ARMS)[number];

const OptionsSchema = z.strictObject({
  workload: z.string().default("workloads/infercept-mix.json"),
  /** The 70B profile: plain sustains 10 runs/s there (virtual sweep, docs/shared.md), 2x = 20, which 2 cores carry. */
  profile: z.string().default("llama3-70b-h100x4"),
  rate: z.number().positive().default(20),
  durationS: z.number().positive().default(60),
  timeScale: z.number().positive().max(100).default(2),
  processes: z.number().int().min(2).max(16).default(4),
  chunk: z.number().int().positive().default(4_096),
  tailS: z.number().nonnegative().default(120),
  arms: z.string().default(ARMS.join(",")),
  /**
   * The global budget, fixed, so that it binds in every arm (the demand at 2x plain's sustainable rate is well
   * above it: the bind % column shows it). 32,768 is the adaptive law's initial budget. 0: the adaptive law.
   */
  fixedBudget: z.number().int().nonnegative().default(32_768),
  /** Skip the light-load cost phase. */
  noCost: z.boolean().default(false),
  json: z.boolean().default(false),
  quiet: z.boolean().default(false),
});
type Options = z.output<typeof OptionsSchema>;

class SharedBenchOptionsError extends AugServeError {
  static override readonly code = "BENCH_SHARED_OPTIONS";
  override readonly name = "SharedBenchOptionsError";
}

function parseArgs(argv: string[]): Options {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    if (!flag.startsWith("--")) throw new SharedBenchOptionsError(`unexpected argument ${flag}`);
    const key = flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (key === "json" || key === "quiet" || key === "noCost") out[key] = true;
    else {
      const value = argv[++i] ?? "";
      out[key] = ["workload", "profile", "arms"].includes(key) ? value : Number(value);
    }
  }
  return parseWith(
    OptionsSchema,
    out,
    (issues) => new SharedBenchOptionsError(issues.map((i) => `--${i.path}: ${i.message}`).join("; ")),
  );
}

const CHILD = fileURLToPath(new URL("./shared-bench/child.ts", import.meta.url));

interface ChildResult {
  records: RunRecord[];
  counters: { admitWaitsMs: number[]; admitted: number };
  fleet: {
    syncs: number;
    roundTrips: number;
    fallbacks: number;
    budgetDecisions: number;
    syncReasons?: Record<string, number>;
  } | null;
  inflight: [number, number, number, number, number][];
}

function startChild(options: ChildOptions): {
  child: ChildProcess;
  ready: Promise<void>;
  result: Promise<ChildResult>;
} {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, JSON.stringify(options)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  const result = new Promise<ChildResult>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`bench child exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      if (line === "ready") onReady();
      else if (line.startsWith("{")) resolve(JSON.parse(line) as ChildResult);
    });
  });
  return { child, ready, result };
}

/** Round trips per admitted call between `from` and `to` (wall ms), summed over the processes. */
function steadyRate(results: ChildResult[], from: number, to: number): number {
  let trips = 0;
  let calls = 0;
  for (const r of results) {
    const at = (t: number) => r.inflight.find((x) => x[0] >= t) ?? r.inflight.at(-1);
    const a = at(from);
    const b = at(to);
    if (!a || !b) continue;
    trips += b[4] - a[4];
    calls += b[2] - a[2];
  }
  return calls > 0 ? trips / calls : Number.NaN;
}

const pct = (xs: number[], p: number) => percentile(xs, p) ?? Number.NaN;

interface ArmResult {
  arm: Arm | "cost-local" | "cost-shared";
  processes: number;
  summary: ReturnType<typeof summarize>;
  admitted: number;
  syncs: number;
  /** Every script sent to Redis (syncs, the controller's, the leaves). */
  roundTrips: number;
  /**
   * Redis round trips per admitted call at steady load: over the second half of the arrival window (the queue
   * built, no drain), from the processes' own counters sampled every 20 ms.
   */
  steadyRoundTripsPerCall: number;
  /** Syncs asked for, by reason, summed over the processes. */
  syncReasons: Record<string, number>;
  /** Share of the 20 ms samples in which the server had at least 90% of the budget in flight. */
  bindShare: number;
  startMs: number;
  completions: number[];
  faults: FaultRow[] | null;
  admitWaitMs: { p50: number; p99: number; mean: number };
  safety: {
    samples: number;
    maxServerTokens: number;
    maxBudget: number;
    overBudget: number;
    overBound: number;
    maxExcess: number;
    overRecentBudget: number;
    maxExcessRecent: number;
  };
}

/** The scheduler's budget in each process of `arm` (`n` processes): the fixed or adaptive one, split N ways by `split`. */
function armBudget(arm: ArmResult["arm"], o: Options, n: number) {
  const adaptive = { mode: "adaptive" as const, initialTokens: 32_768, minTokens: 4_096, maxTokens: 262_144 };
  if (o.fixedBudget > 0)
    return {
      mode: "fixed" as const,
      tokens: arm === "split" ? Math.floor(o.fixedBudget / n) : o.fixedBudget,
    };
  if (arm !== "split") return adaptive;
  return {
    ...adaptive,
    initialTokens: adaptive.initialTokens / n,
    minTokens: adaptive.minTokens / n,
    maxTokens: adaptive.maxTokens / n,
    increaseTokens: 2_048 / n,
  };
}

/** One 20-ms sample of the server side: tokens in flight at the proxy and the budget then. */
interface Sample {
  at: number;
  server: number;
  budget: number;
}

/** Samples the proxy's tokens in flight and the budget every 20 ms from `start` until `stop()`. */
function startSampler(
  o: Options,
  proxy: ChargeProxy,
  admin: Redis,
  stateKey: string,
  shared: boolean,
  start: number,
): { samples: Sample[]; stop(): Promise<void> } {
  const samples: Sample[] = [];
  let sampling = true;
  const readBudget = async () => {
    if (o.fixedBudget > 0) return o.fixedBudget;
    if (!shared) return Number.NaN;
    const timeout = new Promise<null>((r) => setTimeout(() => r(null), 50));
    return Number(
      (await Promise.race([admin.hget(stateKey, "budget").catch(() => null), timeout])) ?? Number.NaN,
    );
  };
  const loop = (async () => {
    while (sampling) {
      const budgetNow = await readBudget();
      if (Date.now() >= start)
        samples.push({ at: Date.now(), server: proxy.inFlightTokens, budget: budgetNow });
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    samples,
    stop: async () => {
      sampling = false;
      await loop;
    },
  };
}

async function runArm(
  arm: ArmResult["arm"],
  o: Options,
  redis: RedisServer,
  admin: Redis,
  rate: number,
  durationS: number,
  reference?: { startMs: number; completions: number[] },
): Promise<ArmResult> {
  const file = JSON.parse(
    await import("node:fs/promises").then((fs) => fs.readFile(o.workload, "utf8")),
  ) as object;
  const workload = loadWorkload({ ...file, durationS }, { ratePerS: rate });
  const sim = await startSimServer({ profile: o.profile, timeScale: o.timeScale });
  sim.registerScripts(scriptsFromRuns(workload.runs));
  const proxy = await ChargeProxy.start(sim.url);
  const multi = arm === "fleet" || arm === "independent" || arm === "split" || arm === "faults";
  const n = multi ? o.processes : 1;
  const shared = arm === "fleet" || arm === "cost-shared" || arm === "faults";
  const key = `bench-${process.pid}-${arm}-${Date.now()}`;
  const budget = armBudget(arm, o, n);
  const children = Array.from({ length: n }, (_, rem) =>
    startChild({
      workload: o.workload,
      ratePerS: rate,
      durationS,
      mod: n,
      rem,
      baseURL: `${proxy.url}/v1`,
      metricsUrl: sim.metricsUrl,
      timeScale: o.timeScale,
      stopAfterMs: ((durationS + o.tailS) * 1000) / o.timeScale,
      scheduler: { policy: "augserve", budget },
      ...(shared
        ? { shared: { redis: redis.url, key, chunkTokens: o.chunk, processId: `${arm}-${rem}` } }
        : {}),
    }),
  );
  await Promise.all(children.map((c) => c.ready));
  const start = Date.now() + 500;
  for (const c of children) c.child.stdin?.write(`${start}\n`);
  const windowS = durationS / o.timeScale;
  const faults = arm === "faults" ? runFaults(start, windowS, redis, admin, key) : null;
  const sampler = startSampler(o, proxy, admin, fleetKeys(key, "default").state, shared, start);
  const results = await Promise.all(children.map((c) => c.result));
  await sampler.stop();
  await faults;
  await proxy.close();
  await sim.close();
  const records = results.flatMap((r) => r.records);
  const summary = summarize(records, {
    windowMs: workload.durationMs,
    slo: workload.slo,
    server: { busyFraction: 0, meanBatchSize: 0, kvUsageMean: 0, preemptions: 0 },
  });
  const { samples } = sampler;
  const withBudget = samples.filter((s) => Number.isFinite(s.budget));
  const windowEnd = start + windowS * 1000;
  return {
    arm,
    processes: n,
    summary,
    ...fleetCounters(results),
    steadyRoundTripsPerCall: steadyRate(results, start + (windowS * 1000) / 2, windowEnd),
    bindShare:
      withBudget.filter((s) => s.at < windowEnd && s.server >= 0.9 * s.budget).length /
      Math.max(1, withBudget.filter((s) => s.at < windowEnd).length),
    startMs: start,
    completions: proxy.completions,
    faults:
      arm === "faults"
        ? faultRows(
            start,
            windowS,
            o.fixedBudget > 0 ? o.fixedBudget : Math.max(...withBudget.map((s) => s.budget)),
            samples,
            proxy.completions,
            results.map((r) => r.inflight),
            reference ?? null,
          )
        : null,
    admitWaitMs: admitWaits(results),
    safety: budgetSafety(samples, n * o.chunk),
  };
}

/** The processes' admissions, syncs, Redis round trips and sync reasons, summed. */
function fleetCounters(
  results: ChildResult[],
): Pick<ArmResult, "admitted" | "syncs" | "roundTrips" | "syncReasons"> {
  return {
    admitted: results.reduce((a, r) => a + r.counters.admitted, 0),
    syncs: results.reduce((a, r) => a + (r.fleet?.syncs ?? 0), 0),
    roundTrips: results.reduce((a, r) => a + (r.fleet?.roundTrips ?? 0), 0),
    syncReasons: results.reduce<Record<string, number>>((sum, r) => {
      for (const [k, v] of Object.entries(r.fleet?.syncReasons ?? {})) sum[k] = (sum[k] ?? 0) + v;
      return sum;
    }, {}),
  };
}

/** Submit -> admit waits over every process, wall ms. */
function admitWaits(results: ChildResult[]): ArmResult["admitWaitMs"] {
  const waits = results.flatMap((r) => r.counters.admitWaitsMs);
  return {
    p50: pct(waits, 50),
    p99: pct(waits, 99),
    mean: waits.reduce((a, b) => a + b, 0) / Math.max(1, waits.length),
  };
}

/** How far the server side went over the budget (and over budget + `slack`, the processes' chunks). */
function budgetSafety(samples: Sample[], slack: number): ArmResult["safety"] {
  const withBudget = samples.filter((s) => Number.isFinite(s.budget));
  // A cut never recalls running calls: against the highest budget of the last 5 s (wall), what was admitted
  // under an earlier, larger budget is not counted as an excess.
  const recent = withBudget.map((s, i) => {
    let max = s.budget;
    for (let j = i; j >= 0 && (withBudget[j] as Sample).at >= s.at - 5_000; j--)
      max = Math.max(max, (withBudget[j] as Sample).budget);
    return max;
  });
  return {
    samples: samples.length,
    maxServerTokens: Math.max(0, ...samples.map((s) => s.server)),
    maxBudget: Math.max(0, ...withBudget.map((s) => s.budget)),
    overBudget: withBudget.filter((s) => s.server > s.budget).length,
    overBound: withBudget.filter((s) => s.server > s.budget + slack).length,
    maxExcess: Math.max(Number.NEGATIVE_INFINITY, ...withBudget.map((s) => s.server - s.budget)),
    overRecentBudget: withBudget.filter((s, i) => s.server > (recent[i] as number)).length,
    maxExcessRecent: Math.max(
      Number.NEGATIVE_INFINITY,
      ...withBudget.map((s, i) => s.server - (recent[i] as number)),
    ),
  };
}

function print(results: ArmResult[], o: Options): void {
  const one = results.find((r) => r.arm === "one");
  const f = (x: number | null, d = 2) => (x === null || !Number.isFinite(x) ? "-" : x.toFixed(d));
  console.log(
    `bench:shared: ${o.workload} on ${o.profile}, ${o.rate} runs/s for ${o.durationS} s (x${o.timeScale} time scale), ${o.processes} processes, chunk ${o.chunk}, budget ${o.fixedBudget > 0 ? `fixed ${o.fixedBudget}` : "adaptive"}`,
  );
  console.log(
    "arm          procs  goodput/s  vs one  SLO %   TTFT mean  TTFT p99  unfinished  bind %  calls/s  RT/call  RT/call steady",
  );
  for (const r of results) {
    const s = r.summary;
    const windowS = (r.arm.startsWith("cost") ? Math.min(o.durationS, 30) : o.durationS) / o.timeScale;
    console.log(
      `${r.arm.padEnd(12)} ${String(r.processes).padStart(5)}  ${f(s.goodput).padStart(9)}  ${(one ? f(s.goodput / one.summary.goodput) : "-").padStart(6)}  ${f(100 * s.sloAttainment, 1).padStart(5)}  ${f(s.ttftMs.mean, 0).padStart(9)}  ${f(s.ttftMs.p99, 0).padStart(8)}  ${String(s.unfinished).padStart(10)}  ${f(100 * r.bindShare, 0).padStart(6)}  ${f(r.admitted / windowS, 1).padStart(7)}  ${(r.roundTrips > 0 ? f(r.roundTrips / Math.max(1, r.admitted), 3) : "-").padStart(7)}  ${(r.roundTrips > 0 ? f(r.steadyRoundTripsPerCall, 3) : "-").padStart(14)}`,
    );
  }
  for (const r of results)
    if (r.roundTrips > 0)
      console.log(
        `${r.arm}: syncs asked for, by reason: ${Object.entries(r.syncReasons)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}`,
      );
  const faults = results.find((r) => r.arm === "faults");
  if (faults?.faults) {
    console.log(
      "fault          peak/budget  ms > budget  ms > 1.1x  calls vs fault-free  2 s after back  processes admitting",
    );
    for (const row of faults.faults)
      console.log(
        `${row.fault.padEnd(14)} ${f(row.peak, 3).padStart(11)}  ${String(row.overMs).padStart(11)}  ${String(row.over110Ms).padStart(9)}  ${f(row.goodput, 2).padStart(19)}  ${f(row.goodputAfter, 2).padStart(14)}  ${row.serving.padStart(19)}`,
      );
  }
  const fleet = results.find((r) => r.arm === "fleet");
  if (fleet) {
    const s = fleet.safety;
    console.log(
      `budget safety (fleet, server side, ${s.samples} samples every 20 ms): max ${s.maxServerTokens} tokens in flight, budget up to ${s.maxBudget}; ` +
        `above the budget in ${s.overBudget} samples (max excess ${f(s.maxExcess, 0)}), above budget + ${o.processes} x ${o.chunk} in ${s.overBound}; ` +
        `above the highest budget of the last 5 s in ${s.overRecentBudget} (max excess ${f(s.maxExcessRecent, 0)})`,
    );
  }
  const local = results.find((r) => r.arm === "cost-local");
  const sharedCost = results.find((r) => r.arm === "cost-shared");
  if (local && sharedCost) {
    console.log(
      `cost at light load: submit -> admit p50 ${f(sharedCost.admitWaitMs.p50, 3)} ms (local ${f(local.admitWaitMs.p50, 3)}), ` +
        `p99 ${f(sharedCost.admitWaitMs.p99, 3)} ms (local ${f(local.admitWaitMs.p99, 3)}); ` +
        `${f(sharedCost.syncs / Math.max(1, sharedCost.admitted), 3)} Redis round trips per admitted call`,
    );
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const arms = o.arms.split(",").filter((a) => a !== "") as Arm[];
  for (const a of arms)
    if (!ARMS.includes(a))
      throw new SharedBenchOptionsError(`--arms: unknown arm ${a}; expected ${ARMS.join(", ")}`);
  const redis = await RedisServer.start();
  const admin = new Redis(redis.url);
  admin.on("error", () => {});
  const results: ArmResult[] = [];
  try {
    for (const arm of arms) {
      if (!o.quiet && !o.json) process.stderr.write(`bench:shared: arm ${arm}...\n`);
      const fleet = results.find((r) => r.arm === "fleet");
      results.push(await runArm(arm, o, redis, admin, o.rate, o.durationS, fleet));
    }
    for (const arm of o.noCost ? [] : (["cost-local", "cost-shared"] as const)) {
      if (!o.quiet && !o.json) process.stderr.write(`bench:shared: ${arm} (light load)...\n`);
      results.push(await runArm(arm, o, redis, admin, o.rate / 8, Math.min(o.durationS, 30)));
    }
  } finally {
    admin.disconnect();
    await redis.stop();
  }
  if (o.json)
    console.log(
      JSON.stringify({ options: o, results: results.map(({ completions: _c, ...r }) => r) }, null, 2),
    );
  else print(results, o);
}

await main();
