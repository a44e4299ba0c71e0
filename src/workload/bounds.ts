/**
 * Upper bounds of workload files (issue 14, defect 6), and the count and duration distributions that
 * enforce them.
 *
 * Why bounds: a workload file is user input, and every count in it becomes memory or time. `toolRounds`
 * const 1e9 allocates a billion rounds, `durationS` 1e7 draws twenty million arrivals, `outputTokensPerCall`
 * 1e12 asks for an array no engine can hold. Each bound is far above what any published agent workload
 * uses (InferCept: at most 16 rounds, 2,048-token contexts; ToolBench: tens of calls) and below what breaks
 * this process, and the schema checks it before anything is generated, naming the field.
 *
 * Distributions with an unbounded tail (normal, lognormal, gamma without `max`) are checked at their p99;
 * the rare draw beyond the bound is clamped to it when sampled (see `sampleCount`).
 */
import { z } from "zod";
import { DistributionSchema, Z99 } from "./distribution.js";

/** The documented upper bounds (docs/workloads.md, "Bounds"). */
export const WORKLOAD_LIMITS = {
  /** Arrival window, s (one day). */
  durationS: 86_400,
  /** Mean arrival rate, runs/s. */
  ratePerS: 10_000,
  /** Runs of one generated workload (expected before generating, counted while generating). */
  runs: 1_000_000,
  /** Tool rounds of one run. */
  toolRounds: 1_024,
  /** Tool calls of one round. */
  toolCallsPerRound: 128,
  /**
   * Any token count (first prompt, output of a call, final answer, tool result, padded system prompt), and
   * a run's whole context: first prompt + every output + every tool result (2^20, the longest context
   * windows of current models).
   */
  tokens: 1_048_576,
  /** Tool latency, ms (one day). */
  latencyMs: 86_400_000,
  /** Tokens of a whole generated workload: every run's first prompt, outputs and tool results. */
  workloadTokens: 1_000_000_000,
  /** Tool calls of a whole generated workload. */
  workloadToolCalls: 20_000_000,
} as const;

type Dist = z.output<typeof DistributionSchema>;

/**
 * A high value of `d` (its largest value when it has one, else about its p99, capped by its `max`), and the
 * field that sets it: what the bound is checked against.
 */
export function typicalUpper(d: Dist): { value: number; field: string } {
  const clamp = (value: number, field: string) =>
    d.dist !== "const" && d.dist !== "uniform" && d.max !== undefined && d.max < value
      ? { value: d.max, field: "max" }
      : { value, field };
  switch (d.dist) {
    case "const":
      return { value: d.value, field: "value" };
    case "uniform":
      return { value: d.max, field: "max" };
    case "choice":
      return clamp(Math.max(...d.values), "values");
    case "normal":
      return clamp(d.mean + Z99 * d.std, d.std > 0 ? "std" : "mean");
    case "lognormal":
      return clamp(d.p99, "p99");
    case "gamma": {
      // Wilson-Hilferty approximation of the gamma's p99.
      const k = d.shape;
      const p99 = k * d.scale * (1 - 1 / (9 * k) + Z99 * Math.sqrt(1 / (9 * k))) ** 3;
      return clamp(p99, "scale");
    }
  }
}

/** The mean of `d`, with its `min`/`max` clamps applied to the mean (an estimate, for size checks). */
export function approximateMean(d: Dist): number {
  let mean: number;
  switch (d.dist) {
    case "const":
      return d.value;
    case "uniform":
      return (d.min + d.max) / 2;
    case "choice": {
      const w = d.weights ?? d.values.map(() => 1);
      const total = w.reduce((a, b) => a + b, 0);
      mean = d.values.reduce((sum, v, i) => sum + v * (w[i] ?? 0), 0) / total;
      break;
    }
    case "normal":
      mean = d.mean;
      break;
    case "lognormal": {
      const sigma = Math.log(d.p99 / d.median) / Z99;
      mean = d.median * Math.exp((sigma * sigma) / 2);
      break;
    }
    case "gamma":
      mean = d.shape * d.scale;
      break;
  }
  if (d.min !== undefined) mean = Math.max(d.min, mean);
  if (d.max !== undefined) mean = Math.min(d.max, mean);
  return mean;
}

/** The parameters of `d` that are written numbers, by field (for the "no negative count" rule). */
function writtenNumbers(d: Dist): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const key of ["value", "min", "max", "mean"] as const) {
    const v = (d as Partial<Record<typeof key, number>>)[key];
    if (v !== undefined) out.push([key, v]);
  }
  if (d.dist === "choice")
    d.values.forEach((v, i) => {
      out.push([`values[${i}]`, v]);
    });
  return out;
}

/**
 * A distribution of a non-negative quantity with an upper bound: counts (tool rounds, calls, tokens) and
 * durations. Rejects a written negative (`const -3`, `uniform` from -1, a negative `mean` or clamp) and a
 * distribution whose high values exceed `limit`, each at the field responsible.
 * @param what the quantity's name in messages, e.g. "tool rounds".
 */
export function boundedDistribution(limit: number, what: string) {
  return DistributionSchema.superRefine((d, ctx) => {
    for (const [field, value] of writtenNumbers(d)) {
      if (value < 0) {
        const path = field.startsWith("values[") ? ["values", Number(field.slice(7, -1))] : [field];
        ctx.addIssue({ code: "custom", path, message: `expected ${what} >= 0, got ${value}` });
      }
    }
    const high = typicalUpper(d);
    if (high.value > limit) {
      const which = d.dist === "const" || d.dist === "uniform" || high.field === "max" ? "" : " (its p99)";
      ctx.addIssue({
        code: "custom",
        path: [high.field === "values" ? "values" : high.field],
        message: `expected at most ${limit.toLocaleString("en-US")} ${what}${which}, got ${high.value}`,
      });
    }
  });
}

export const ToolRoundsSchema = boundedDistribution(WORKLOAD_LIMITS.toolRounds, "tool rounds");
export const CallsPerRoundSchema = boundedDistribution(WORKLOAD_LIMITS.toolCallsPerRound, "calls per round");
export const TokensSchema = boundedDistribution(WORKLOAD_LIMITS.tokens, "tokens");
export const LatencySchema = boundedDistribution(WORKLOAD_LIMITS.latencyMs, "ms");

/** An integer token count within {@link WORKLOAD_LIMITS.tokens}. */
export const TokenCount = z.number().int().nonnegative().max(WORKLOAD_LIMITS.tokens);
