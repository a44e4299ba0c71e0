/**
 * A realistic results file for the report's tests: four policies swept over five rates on infercept-mix, shaped
 * like what `augserve bench --json` writes (plain saturates near 2 runs/s, augserve near 4), with every optional
 * field: setup, per-point TTFT CDFs, `--repeat` spreads and scheduler timelines. Deterministic (seeded).
 */
import type { BenchResultsInput, PolicyResult } from "../../src/report/schema.js";
import { mulberry32 } from "../../src/util/prng.js";

export const FIXTURE_POLICIES = ["plain", "sjf", "augserve", "augserve-oracle"] as const;
export const FIXTURE_RATES = [1, 2, 3, 4, 6] as const;

const prng = mulberry32;

/** Load at which each policy's attainment falls off (runs/s). */
const KNEE: Record<string, number> = { plain: 2.2, sjf: 3.1, augserve: 4.3, "augserve-oracle": 4.8 };

function point(policy: string, rate: number, rand: () => number): PolicyResult {
  const load = rate / KNEE[policy]!;
  const attainment = Math.max(0.02, Math.min(0.995, 1 / (1 + load ** 6)));
  const runs = Math.round(rate * 300);
  const goodput = rate * attainment;
  const ttftP50 = 180 * (1 + load ** 4 * 20);
  const cdf: Array<[number, number]> = [];
  for (let i = 0; i <= 40; i++) {
    const f = i / 40;
    cdf.push([Math.round(60 + ttftP50 * (-Math.log(1 - Math.min(f, 0.995)) / Math.LN2)), f]);
  }
  return {
    policy,
    ratePerS: rate,
    runs,
    goodput,
    completedPerS: rate * Math.min(0.998, 1.6 / Math.max(load, 1.6)),
    sloAttainment: attainment,
    ttftMs: { mean: ttftP50 * 1.3, p50: ttftP50, p90: ttftP50 * 3.2, p99: ttftP50 * 6.5 },
    e2eMs: { p50: 9000 + ttftP50 * 2, p99: 40000 + ttftP50 * 8, max: 52000 + ttftP50 * 9 },
    unfinished: 0,
    normLatencyMs: { p50: 38 + load * 30, p99: 90 + load * 120 },
    queueWaitMs: { p99: policy === "plain" ? 0 : ttftP50 * 4 },
    server: {
      busyFraction: Math.min(0.99, 0.3 * rate),
      meanBatchSize: 6 * rate,
      kvUsageMean: Math.min(0.97, 0.18 * rate),
      preemptions: policy === "plain" ? Math.round(Math.max(0, load - 1) * 120) : 0,
    },
    ttftCdf: cdf,
    spread: { goodput: { min: goodput * 0.95, max: goodput * 1.04, std: goodput * 0.03 + rand() * 0.01 } },
  };
}

/** An AIMD-like budget chasing a bursty demand (bursts of 10 s every 60 s), sampled every second. */
function timeline(policy: string, rate: number, rand: () => number) {
  const points = [];
  let budget = 8000;
  let backlog = 0;
  for (let t = 0; t <= 300_000; t += 1000) {
    const burst = (t / 1000) % 60 < 10 ? 3 : 1;
    const demand = 2200 * rate * burst * (0.85 + 0.3 * rand()) + backlog;
    const inFlight = Math.min(demand, budget * (0.9 + 0.1 * rand()));
    backlog = Math.max(0, demand - inFlight) * 0.6;
    budget = Math.max(6000, Math.min(30_000, backlog > 0 ? budget + 1200 : budget * 0.97));
    points.push({
      tMs: t,
      queued: Math.round(backlog / 350),
      inFlightTokens: Math.round(inFlight),
      budgetTokens: Math.round(budget),
    });
  }
  return { policy, ratePerS: rate, points };
}

/** The full fixture. `overrides` replace top-level fields (e.g. `{ timelines: undefined }`). */
export function fixtureResults(overrides: Partial<BenchResultsInput> = {}): BenchResultsInput {
  const rand = prng(7);
  return {
    workload: "infercept-mix",
    mode: "virtual",
    profile: "llama3-8b-h100",
    setup: {
      date: "2025-11-24T21:30:00.000Z",
      policies: [...FIXTURE_POLICIES],
      rates: [...FIXTURE_RATES],
      seed: 7,
      slo: { ttftMs: 1000, normLatencyMsPerToken: 100 },
      repeat: 3,
    },
    results: FIXTURE_RATES.flatMap((rate) => FIXTURE_POLICIES.map((p) => point(p, rate, rand))),
    timelines: [timeline("augserve", 4, rand), timeline("augserve", 6, rand)],
    ...overrides,
  };
}

/**
 * A live A/B at one rate, as `npm run demo` writes it: `plain` and `augserve` at a rate that is not a round
 * number (0.3 runs/s: float noise in axis labels shows here first), with spreads from repeats.
 */
export function singleRateLiveResults(overrides: Partial<BenchResultsInput> = {}): BenchResultsInput {
  const rand = prng(11);
  const rate = 0.3;
  const results = (["plain", "augserve"] as const).map((p) => {
    const r = point(p, rate * 10, rand);
    const goodput = r.goodput / 10;
    const spread = { goodput: { min: goodput * 0.9, max: goodput * 1.1, std: goodput * 0.06 } };
    return { ...r, ratePerS: rate, runs: 54, goodput, completedPerS: r.completedPerS / 10, spread };
  });
  return {
    workload: "infercept-mix",
    mode: "live",
    profile: "llama3-8b-l4",
    setup: {
      date: "2025-11-24T21:30:00.000Z",
      backend: "sim",
      policies: ["plain", "augserve"],
      rates: [rate],
      seed: 7,
      repeat: 3,
    },
    results,
    ...overrides,
  };
}

/** The same live points with a virtual-time sweep of the same workload and profile (the demo's report). */
export function liveWithSweepResults(): BenchResultsInput {
  const rand = prng(13);
  const sweep = [0.1, 0.2, 0.3, 0.4, 0.6, 0.8].flatMap((rate) =>
    (["plain", "augserve"] as const).map((p) => {
      const r = point(p, rate * 10, rand);
      const { spread: _, ...rest } = r;
      return { ...rest, ratePerS: rate, goodput: r.goodput / 10, completedPerS: r.completedPerS / 10 };
    }),
  );
  return singleRateLiveResults({ virtualSweep: { profile: "llama3-8b-l4", results: sweep } });
}
