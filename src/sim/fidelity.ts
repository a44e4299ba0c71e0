/**
 * Fidelity of the simulator's profiles: the engine, run in virtual time on the published benchmark setups,
 * against the published vLLM figures (copied from calibration.md with their sources, 2026-11).
 * `npm run bench:sim -- --fidelity` prints the table; docs/simulator.md shows it; a test keeps it within 20%.
 */

import { mulberry32 } from "../util/prng.js";
import { type ClosedLoopResult, closedLoopRun } from "./closed-loop.js";
import { Engine } from "./engine/engine.js";
import type { EngineOptions } from "./engine/options.js";
import { getProfile } from "./engine/profiles.js";

export type FidelityMetric = "ttft" | "itl" | "throughput";

export interface FidelityCase {
  profile: string;
  metric: FidelityMetric;
  /** The setup, in words. */
  setup: string;
  /** Published figure (ms for ttft/itl, output tokens/s for throughput). */
  published: number;
  source: string;
  /** A figure shown for context only, not held to the 20% bound (the setup differs from what we model). */
  informational?: boolean;
  run: () => number;
}

export interface FidelityRow extends Omit<FidelityCase, "run"> {
  simulated: number;
  /** simulated / published - 1. */
  error: number;
}

function lognormal(random: () => number, median: number, sigma: number): number {
  const u = Math.max(random(), 1e-12);
  const v = random();
  return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}

/** Distinct prompts of `n` tokens (no shared prefix, so no prefix-cache effect). */
function prompt(seed: number, n: number): Int32Array {
  const random = mulberry32(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(random() * 128_000);
  return out;
}

/** Time from arrival to the first token of a lone request: server overhead + its prefill step(s). */
export function singleRequestTtftMs(options: EngineOptions, promptTokens: number): number {
  const engine = new Engine(options);
  engine.add({ id: "r", promptTokens: prompt(1, promptTokens), maxTokens: 2 });
  let now = 0;
  for (let out = engine.step(); out !== null; out = engine.step()) {
    now += out.durationMs;
    if (out.emitted.some((e) => e.first)) break;
  }
  return getProfile(engine.options.profile.name).serverOverheadMs + now;
}

/** Mean decode step (inter-token latency) of `batch` requests with prompts of `promptTokens`. */
export function decodeStepMs(
  options: EngineOptions,
  batch: number,
  promptTokens: number,
  steps = 64,
): number {
  const engine = new Engine(options);
  for (let i = 0; i < batch; i++) {
    engine.add({ id: `r${i}`, promptTokens: prompt(i + 1, promptTokens), maxTokens: steps + 1 });
  }
  let decodeMs = 0;
  let decodeSteps = 0;
  for (let out = engine.step(); out !== null; out = engine.step()) {
    if (out.prefillTokens === 0) {
      decodeMs += out.durationMs;
      decodeSteps++;
    }
  }
  return decodeMs / decodeSteps;
}

/**
 * v0.6-era API-server overhead per request in LambdaLabs' 10-prompt runs: row 2's 62.4 ms TTFT minus the
 * H100 profile's GPU time for 1,369 prompt tokens in one step (~30 ms). Used only for those rows.
 */
export const V06_BURST_OVERHEAD_MS = 32;

/**
 * Mean TTFT of `count` requests sharing `totalPromptTokens`, all arriving at once (LambdaLabs' 10-prompt
 * runs), with `overheadMs` of API-server time per request.
 */
export function burstTtftMs(
  options: EngineOptions,
  count: number,
  totalPromptTokens: number,
  overheadMs: number,
): number {
  const engine = new Engine(options);
  const each = Math.round(totalPromptTokens / count);
  for (let i = 0; i < count; i++)
    engine.add({ id: `r${i}`, promptTokens: prompt(i + 1, each), maxTokens: 2 });
  let now = 0;
  let sum = 0;
  for (let out = engine.step(); out !== null; out = engine.step()) {
    now += out.durationMs;
    for (const e of out.emitted) if (e.first) sum += now;
  }
  return overheadMs + sum / count;
}

/**
 * Output tokens per second of `count` ShareGPT-like requests all arriving at once (vLLM's throughput runs,
 * `--request-rate inf`), from the first arrival to the last token. Prompt and output lengths are lognormal
 * with ShareGPT's means with the Llama-3 tokenizer (~215 in, ~195 out) and its heavy output tail, cut as
 * vLLM's sampler cuts them (prompt <= 1024, prompt + output <= 2048), fixed seed.
 */
export function saturatedThroughput(options: EngineOptions, count: number, seed = 7): number {
  const engine = new Engine(options);
  const random = mulberry32(seed);
  let outputTokens = 0;
  for (let i = 0; i < count; i++) {
    const input = Math.min(1024, Math.max(4, Math.round(lognormal(random, 150, 0.85))));
    const output = Math.min(2048 - input, Math.max(4, Math.round(lognormal(random, 120, 1))));
    outputTokens += output;
    engine.add({ id: `r${i}`, promptTokens: prompt(seed * 100_003 + i, input), maxTokens: output });
  }
  let now = 0;
  for (let out = engine.step({ maxSteps: 1_000 }); out !== null; out = engine.step({ maxSteps: 1_000 })) {
    now += out.durationMs;
  }
  return outputTokens / (now / 1000);
}

/**
 * Profiles without published figures to be held to: their constants are extrapolated, not fitted. The test
 * exempts them from the 20% rows and requires them to have none (so an extrapolation never passes for a fit).
 */
export const EXTRAPOLATED_PROFILES: Readonly<Record<string, string>> = Object.freeze({
  "llama3-8b-l4":
    "no published vLLM figure for Llama-3.1-8B on an L4 was found; the H100 and A100 fits scaled by the L4 " +
    "datasheet (docs/simulator.md, llama3-8b-l4)",
});

/**
 * mushfiqrahman.dev's sweep of Mistral-7B-Instruct-v0.3 on one RTX 4090 (vLLM, `--max-concurrency` C,
 * `--request-rate inf`, 300 prompts of 256 random tokens, up to 128 output tokens): C, req/s, output tok/s,
 * mean TTFT, median TTFT (ms), as published.
 */
export const RTX4090_MISTRAL7B_SWEEP = [
  [4, 2.09, 210, 63, 53],
  [8, 3.78, 377, 79, 55],
  [16, 6.44, 644, 155, 97],
  [32, 9.73, 975, 362, 277],
  [48, 11.87, 1190, 667, 840],
] as const;

/**
 * Per-token latency of a closed loop by Little's law: C requests always in flight for a mean E2E of C / req/s,
 * minus the mean TTFT, over the tokens after the first (output tok/s / req/s - 1). The sweep publishes no TPOT,
 * so it is derived this way from its figures, and the simulated run goes through the same formula.
 */
export function closedLoopTpotMs(c: number, rps: number, tokensPerS: number, meanTtftMs: number): number {
  return ((c / rps) * 1000 - meanTtftMs) / (tokensPerS / rps - 1);
}

/**
 * The sweep's setup on the engine. Output lengths: uniform 72-128 tokens, seeded. The page gives only the cap
 * (128, without --ignore-eos) and, through output tok/s / req/s, the mean (99.7-100.5 at every C); the spread
 * is an assumption (a fixed 100 would finish every wave together, which no real run does).
 */
function rtx4090SweepRun(concurrency: number, profile = "mistral7b-rtx4090"): ClosedLoopResult {
  const random = mulberry32(5);
  return closedLoopRun(
    { profile },
    {
      concurrency,
      count: 300,
      promptTokens: 256,
      outputTokens: () => 72 + Math.floor(random() * 57),
    },
  );
}

/**
 * The cases of one row of the RTX 4090 sweep on `profile`: its median TTFT, and with `all` its TPOT (by Little's
 * law) and its output throughput. `run` gives the simulated closed loop of the row's concurrency.
 */
function sweepRowCases(
  profile: string,
  source: string,
  row: (typeof RTX4090_MISTRAL7B_SWEEP)[number],
  run: () => ClosedLoopResult,
  options: { all: boolean; informational?: boolean },
): FidelityCase[] {
  const [c, rps, tokensPerS, meanTtft, medianTtft] = row;
  const cases: FidelityCase[] = [
    {
      profile,
      metric: "ttft",
      setup: `closed loop, concurrency ${c}, median TTFT`,
      published: medianTtft,
      source,
      ...(options.informational === undefined ? {} : { informational: options.informational }),
      run: () => run().medianTtftMs,
    },
  ];
  if (!options.all) return cases;
  cases.push(
    {
      profile,
      metric: "itl",
      setup: `closed loop, concurrency ${c}, TPOT derived by Little's law`,
      published: closedLoopTpotMs(c, rps, tokensPerS, meanTtft),
      source,
      run: () => {
        const r = run();
        return closedLoopTpotMs(c, r.requestsPerS, r.outputTokensPerS, r.meanTtftMs);
      },
    },
    {
      profile,
      metric: "throughput",
      setup: `closed loop, concurrency ${c} (output tok/s)`,
      published: tokensPerS,
      source,
      run: () => run().outputTokensPerS,
    },
  );
  return cases;
}

function rtx4090Cases(): FidelityCase[] {
  const source = "mushfiqrahman.dev, Mistral-7B on RTX 4090, vLLM concurrency sweep (256 in / <=128 out)";
  const runs = new Map<number, ClosedLoopResult>();
  const run = (c: number): ClosedLoopResult => {
    const cached = runs.get(c);
    if (cached !== undefined) return cached;
    const fresh = rtx4090SweepRun(c);
    runs.set(c, fresh);
    return fresh;
  };
  return RTX4090_MISTRAL7B_SWEEP.flatMap((row) => {
    const c = row[0];
    return sweepRowCases("mistral7b-rtx4090", source, row, () => run(c), {
      all: c === 4 || c === 16 || c === 48,
      // Above 8 in flight the published TTFT grows far faster than any batch of 256-token prefills explains
      // (docs/simulator.md): shown, not held.
      informational: c > 8,
    });
  });
}

/**
 * `mistral7b-rtx4090-seqs4` (vLLM with `--max-num-seqs 4` on the same card): the sweep's concurrency-4 rows,
 * where at most 4 requests were in flight, so its server ran exactly what this deployment runs. The rows with
 * more in flight would queue in this deployment and are not its figures.
 */
function rtx4090Seqs4Cases(): FidelityCase[] {
  const source =
    "mushfiqrahman.dev, Mistral-7B on RTX 4090, vLLM concurrency sweep (256 in / <=128 out), concurrency 4";
  const profile = "mistral7b-rtx4090-seqs4";
  const row = RTX4090_MISTRAL7B_SWEEP[0];
  let cached: ClosedLoopResult | undefined;
  const run = () => {
    cached ??= rtx4090SweepRun(row[0], profile);
    return cached;
  };
  return sweepRowCases(profile, source, row, run, { all: true });
}

/**
 * An llmperf sweep of Meta-Llama-3-8B-Instruct on one A10G (AWS g5.2xlarge), vLLM 0.4.3 with its defaults, ~550
 * input / ~150 output tokens, client and server on the same machine: C, mean TTFT (ms), ITL (ms/token), output
 * tok/s, as published (the README "Benchmark: Llama 3 8b Instruct on NVIDIA A10G"; docs/simulator.md).
 */
export const A10G_LLAMA3_8B_SWEEP = [
  [1, 137.29, 30.65, 31.92],
  [4, 171.4, 33.89, 110.95],
  [16, 302.75, 42.67, 289.87],
  [64, 1080.42, 61.73, 301.19],
] as const;

/** llmperf's inter-token latency: (E2E - TTFT) / output tokens, averaged; here from the closed loop's means. */
function llmperfItlMs(c: number, r: ClosedLoopResult): number {
  return ((c / r.requestsPerS) * 1000 - r.meanTtftMs) / (r.outputTokensPerS / r.requestsPerS);
}

/**
 * The sweep's setup on the engine: C clients, 10 requests each (at least 80 in all; the README does not give the
 * count), 550 prompt tokens, outputs uniform 140-160 (llmperf's mean 150; the spread is an assumption).
 */
function a10gSweepRun(concurrency: number): ClosedLoopResult {
  const random = mulberry32(5);
  return closedLoopRun(
    { profile: "llama3-8b-a10g" },
    {
      concurrency,
      count: 10 * Math.max(8, concurrency),
      promptTokens: 550,
      outputTokens: () => 140 + Math.floor(random() * 21),
    },
  );
}

function a10gCases(): FidelityCase[] {
  const source = "llmperf README, Llama 3 8b Instruct on A10G (g5.2xlarge), vLLM 0.4.3 (550 in / 150 out)";
  const profile = "llama3-8b-a10g";
  const runs = new Map<number, ClosedLoopResult>();
  const run = (c: number): ClosedLoopResult => {
    const fresh = runs.get(c) ?? a10gSweepRun(c);
    runs.set(c, fresh);
    return fresh;
  };
  const cases: FidelityCase[] = [];
  for (const [c, ttft, itl, tokensPerS] of A10G_LLAMA3_8B_SWEEP) {
    cases.push({
      profile,
      metric: "ttft",
      setup: `closed loop, concurrency ${c}, mean TTFT`,
      published: ttft,
      source,
      // From 16 in flight the mean is set by the first wave (C prompts at once), so by the unpublished request
      // count; at 64 the run is also client-limited (below): shown, not held.
      informational: c >= 16,
      run: () => run(c).meanTtftMs,
    });
    cases.push({
      profile,
      metric: "itl",
      setup: `closed loop, concurrency ${c}, llmperf ITL`,
      published: itl,
      source,
      // At 64 the published throughput is a third of what 64 streams at its ITL would give: not a 64-stream run.
      informational: c === 64,
      run: () => llmperfItlMs(c, run(c)),
    });
    cases.push({
      profile,
      metric: "throughput",
      setup: `closed loop, concurrency ${c} (output tok/s)`,
      published: tokensPerS,
      source,
      // At 16 and 64 the published tok/s is below what its own TTFT and ITL give by Little's law (358 and 930):
      // time spent outside the server (the client's gaps between requests), shown, not held.
      informational: c >= 16,
      run: () => run(c).outputTokensPerS,
    });
  }
  return cases;
}

/** The published figures each profile is held to. */
export function fidelityCases(): FidelityCase[] {
  const lambda = "LambdaLabsML/vllm-benchmark (v0.6-era, max-num-seqs 256)";
  const v06 = { maxNumSeqs: 256 } as const;
  return [
    {
      profile: "llama3-8b-h100",
      metric: "ttft",
      setup: "1 request, short chat prompt (taken as 128 tokens), p50",
      published: 13.98,
      source: "yobitelcomm concurrency sweep, vLLM 0.21, concurrency 1",
      run: () => singleRequestTtftMs({ profile: "llama3-8b-h100" }, 128),
    },
    {
      profile: "llama3-8b-h100",
      metric: "itl",
      setup: "1 request decoding, context ~200",
      published: 6.48,
      source: "yobitelcomm concurrency sweep, vLLM 0.21, concurrency 1 (TPOT p50)",
      run: () => decodeStepMs({ profile: "llama3-8b-h100" }, 1, 200),
    },
    {
      profile: "llama3-8b-h100",
      metric: "itl",
      setup: "80 requests decoding, contexts ~600 (v0.6 multi-step hides V1's per-request CPU time)",
      published: 8.2,
      source: lambda,
      informational: true,
      run: () => decodeStepMs({ profile: "llama3-8b-h100", ...v06 }, 80, 600),
    },
    {
      profile: "llama3-8b-h100",
      metric: "throughput",
      setup: "1000 ShareGPT-like prompts at once, V1 defaults (output tok/s)",
      published: 6583,
      source: "vllm-project/vllm PR 18566 (V1 defaults)",
      run: () => saturatedThroughput({ profile: "llama3-8b-h100" }, 1000),
    },
    {
      profile: "llama3-8b-a100",
      metric: "ttft",
      setup: "10 prompts at once, 1,369 tokens in all (mean), v0.6 server overhead 32 ms",
      published: 126.7,
      source: lambda,
      run: () => burstTtftMs({ profile: "llama3-8b-a100", ...v06 }, 10, 1369, V06_BURST_OVERHEAD_MS),
    },
    {
      profile: "llama3-8b-a100",
      metric: "itl",
      setup: "1-2 requests decoding",
      published: 11.3,
      source: lambda,
      run: () => decodeStepMs({ profile: "llama3-8b-a100" }, 1, 200),
    },
    {
      profile: "llama3-8b-a100",
      metric: "throughput",
      setup: "5000 ShareGPT-like prompts at once, max-num-seqs 256 (output tok/s)",
      published: 4132,
      source: "sgl-project/sglang benchmark_vllm_060 (vLLM 0.6.0 multi-step)",
      run: () => saturatedThroughput({ profile: "llama3-8b-a100", ...v06 }, 5000),
    },
    {
      profile: "llama3-70b-h100x4",
      metric: "ttft",
      setup: "10 prompts at once, 1,369 tokens in all (mean), v0.6 server overhead 32 ms",
      published: 141,
      source: lambda,
      run: () => burstTtftMs({ profile: "llama3-70b-h100x4", ...v06 }, 10, 1369, V06_BURST_OVERHEAD_MS),
    },
    {
      profile: "llama3-70b-h100x4",
      metric: "itl",
      setup: "1 request decoding",
      published: 17.0,
      source: lambda,
      run: () => decodeStepMs({ profile: "llama3-70b-h100x4" }, 1, 200),
    },
    {
      profile: "llama3-70b-h100x4",
      metric: "throughput",
      setup: "5000 ShareGPT-like prompts at once, max-num-seqs 256 (output tok/s)",
      published: 3701,
      source: "sgl-project/sglang benchmark_vllm_060 (vLLM 0.6.0 multi-step)",
      run: () => saturatedThroughput({ profile: "llama3-70b-h100x4", ...v06 }, 5000),
    },
    ...rtx4090Cases(),
    ...rtx4090Seqs4Cases(),
    ...a10gCases(),
  ];
}

/** Runs every case (a few hundred ms of CPU). */
export function fidelityTable(cases: FidelityCase[] = fidelityCases()): FidelityRow[] {
  return cases.map(({ run, ...c }) => {
    const simulated = run();
    return { ...c, simulated, error: simulated / c.published - 1 };
  });
}
