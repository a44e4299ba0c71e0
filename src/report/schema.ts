/**
 * The benchmark results file (`augserve bench --json OUT`, issue 4) as the HTML report reads it.
 * This schema is the one source of the type: the bench imports `BenchResults` to write the file, the report
 * validates what it reads with it. Unknown keys are dropped, so an older report still reads a newer file.
 * Metric definitions: DESIGN.md section 5.
 */
import { z } from "zod";
import { UniqueKeys } from "../util/index.js";

const count = z.number().int().nonnegative();
const nonNegative = z.number().nonnegative();
const fraction = z.number().min(0).max(1);
/**
 * A statistic over runs. `null` when no run produced a sample (JSON writes `NaN` as `null`), e.g. the TTFT p99
 * of a policy that finished no run; the report shows it as "–".
 */
const stat = z.number().nonnegative().nullable();
/** A server-side figure; `null` when the backend exposes no metrics (live mode without `--server-metrics`). */
const serverStat = z.number().nonnegative().nullable();

/** The latency target of the workload (DESIGN.md section 5). */
export const SloSchema = z.object({
  ttftMs: z.number().positive(),
  normLatencyMsPerToken: z.number().positive(),
});

/** How the sweep was run. Optional: without it the report derives policies and rates from `results`. */
export const BenchSetupSchema = z.object({
  /** When the sweep started, ISO 8601 (`new Date().toISOString()`). */
  date: z.iso.datetime({ offset: true }),
  /** Live mode: `sim` or the server's base URL (`http://host:port/v1`). */
  backend: z.string().min(1).optional(),
  /** Policies in the order they were run; the report keeps this order (and its colours) everywhere. */
  policies: z.array(z.string().min(1)).min(1),
  /** Arrival rates swept, runs/s. */
  rates: z.array(z.number().positive()).min(1),
  seed: z.number().int().optional(),
  slo: SloSchema.optional(),
  /** `--repeat K`: each point was run K times with different seeds; figures are means, `spread` their spread. */
  repeat: z.number().int().min(1).optional(),
});

/** Spread of one metric over `--repeat` runs of the same point. */
export const SpreadStatSchema = z
  .object({ min: z.number(), max: z.number(), std: z.number().nonnegative() })
  .refine((s) => s.min <= s.max, { message: "expected min <= max" });

/**
 * The metrics a `spread` may be given for, named by their path in a result (`ttftMs.p50` is `result.ttftMs.p50`).
 * The table shows `± std` under each cell that has a spread; the goodput and SLO charts draw min-max bars.
 */
export const SPREAD_METRICS = [
  "goodput",
  "completedPerS",
  "sloAttainment",
  "ttftMs.mean",
  "ttftMs.p50",
  "ttftMs.p90",
  "ttftMs.p99",
  "e2eMs.p50",
  "e2eMs.p99",
  "normLatencyMs.p50",
  "normLatencyMs.p99",
  "queueWaitMs.p99",
] as const;
export type SpreadMetric = (typeof SPREAD_METRICS)[number];

/** The figure `metric` names in `result`: `"ttftMs.p50"` reads `result.ttftMs.p50`. */
export function metricValue(result: PolicyResult, metric: SpreadMetric): number | null {
  let value: unknown = result;
  for (const key of metric.split(".")) value = (value as Record<string, unknown>)[key];
  return value as number | null;
}

/**
 * The TTFT distribution of one point as (ms, cumulative fraction) pairs, both non-decreasing, at most 200 pairs
 * (the bench downsamples).
 */
export const TtftCdfSchema = z
  .array(z.tuple([nonNegative, fraction]))
  .max(200)
  .superRefine((cdf, ctx) => {
    for (let i = 1; i < cdf.length; i++) {
      const [ms, f] = cdf[i]!;
      const [prevMs, prevF] = cdf[i - 1]!;
      if (ms < prevMs || f < prevF) {
        ctx.addIssue({ code: "custom", path: [i], message: "expected ms and fraction non-decreasing" });
        return;
      }
    }
  });

/** One (policy, rate) point of the sweep. */
export const PolicyResultSchema = z
  .object({
    policy: z.string().min(1),
    ratePerS: z.number().positive(),
    /** Runs that arrived in the window. */
    runs: count,
    /** Runs meeting the SLO / arrival window, runs/s. */
    goodput: nonNegative,
    completedPerS: nonNegative,
    /** Share of runs meeting the SLO, 0..1 (not percent). */
    sloAttainment: fraction,
    ttftMs: z.object({ mean: stat, p50: stat, p90: stat, p99: stat }),
    e2eMs: z.object({ p50: stat, p99: stat, max: stat }),
    /** Runs that had not finished when the driver stopped (should be 0). */
    unfinished: count,
    /** (E2E - tool time) / output tokens, ms/token. */
    normLatencyMs: z.object({ p50: stat, p99: stat }),
    queueWaitMs: z.object({ p99: stat }),
    server: z.object({
      busyFraction: serverStat.refine((v) => v === null || v <= 1, { message: "expected a fraction <= 1" }),
      meanBatchSize: serverStat,
      /** Mean KV-cache use, 0..1. */
      kvUsageMean: serverStat.refine((v) => v === null || v <= 1, { message: "expected a fraction <= 1" }),
      preemptions: count.nullable(),
    }),
    ttftCdf: TtftCdfSchema.optional(),
    spread: z.partialRecord(z.enum(SPREAD_METRICS), SpreadStatSchema).optional(),
  })
  .refine((r) => r.unfinished <= r.runs, { path: ["unfinished"], message: "expected unfinished <= runs" });

/** One sample of the scheduler's state over time (the `augserve` policy; others may have one too). */
export const TimelinePointSchema = z.object({
  /** Time since the start of the arrival window, ms (unscaled in live mode). */
  tMs: nonNegative,
  /** Calls waiting in the scheduler's queue. */
  queued: count,
  inFlightTokens: nonNegative,
  budgetTokens: nonNegative,
});

export const TimelineSchema = z.object({
  policy: z.string().min(1),
  ratePerS: z.number().positive(),
  points: z.array(TimelinePointSchema).min(1),
});

export const BenchResultsSchema = z
  .object({
    workload: z.string().min(1),
    mode: z.enum(["virtual", "live"]),
    /** Simulator profile (virtual mode, and live mode with `--backend sim`). */
    profile: z.string().min(1).optional(),
    setup: BenchSetupSchema.optional(),
    results: z.array(PolicyResultSchema).min(1),
    timelines: z.array(TimelineSchema).optional(),
    /**
     * A virtual-time sweep of the same workload and profile (live runs, e.g. the demo): the charts draw its
     * curves beside the measured points, and the sustainable rates come from it.
     */
    virtualSweep: z
      .object({
        profile: z.string().min(1).optional(),
        results: z.array(PolicyResultSchema).min(1),
      })
      .optional(),
  })
  .superRefine((file, ctx) => {
    const seen = new UniqueKeys(ctx);
    file.results.forEach((r, i) => {
      seen.add(
        `${r.policy}@${r.ratePerS}`,
        i,
        ["results", i],
        (first) =>
          `expected one result per (policy, rate); ${r.policy} at ${r.ratePerS}/s repeats results[${first}]`,
      );
    });
  });

/** A validated benchmark results file. */
export type BenchResults = z.infer<typeof BenchResultsSchema>;
/** What the bench may write (before defaults/refinements). Same shape as `BenchResults` today. */
export type BenchResultsInput = z.input<typeof BenchResultsSchema>;
export type PolicyResult = z.infer<typeof PolicyResultSchema>;
export type BenchSetup = z.infer<typeof BenchSetupSchema>;
export type Timeline = z.infer<typeof TimelineSchema>;
export type SpreadStat = z.infer<typeof SpreadStatSchema>;
