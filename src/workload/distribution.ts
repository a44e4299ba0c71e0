/**
 * Distributions of workload files (DESIGN.md section 6) and their sampling.
 * Every distribution accepts optional `min`/`max` clamps (a superset of the issue's schema: InferCept caps
 * tool time at 60 s, for example).
 */
import { z } from "zod";
import type { Rng } from "./rng.js";

const finite = z.number().finite();
const clamps = { min: finite.optional(), max: finite.optional() };

/** The normal quantile of 0.99: a lognormal's p99 is `median * exp(Z99 * sigma)`. */
export const Z99 = 2.326_347_874;

export const DistributionSchema = z
  .discriminatedUnion("dist", [
    z.strictObject({ dist: z.literal("const"), value: finite }),
    z.strictObject({ dist: z.literal("uniform"), min: finite, max: finite }),
    z.strictObject({ dist: z.literal("normal"), mean: finite, std: finite.nonnegative(), ...clamps }),
    z.strictObject({
      dist: z.literal("lognormal"),
      median: finite.positive(),
      p99: finite.positive(),
      ...clamps,
    }),
    z.strictObject({
      dist: z.literal("gamma"),
      shape: finite.positive(),
      scale: finite.positive(),
      ...clamps,
    }),
    z.strictObject({
      dist: z.literal("choice"),
      values: z.array(finite).min(1),
      weights: z.array(finite.nonnegative()).optional(),
      ...clamps,
    }),
  ])
  .superRefine((d, ctx) => {
    if ((d.dist === "uniform" || "min" in d) && d.min !== undefined && d.max !== undefined && d.min > d.max) {
      ctx.addIssue({
        code: "custom",
        path: ["max"],
        message: `expected max >= min (${d.min}), got ${d.max}`,
      });
    }
    if (d.dist === "lognormal" && d.p99 < d.median) {
      ctx.addIssue({
        code: "custom",
        path: ["p99"],
        message: `expected p99 >= median (${d.median}), got ${d.p99}`,
      });
    }
    if (d.dist === "choice" && d.weights !== undefined) {
      if (d.weights.length !== d.values.length) {
        ctx.addIssue({
          code: "custom",
          path: ["weights"],
          message: `expected ${d.values.length} weights (one per value), got ${d.weights.length}`,
        });
      } else if (d.weights.every((w) => w === 0)) {
        ctx.addIssue({ code: "custom", path: ["weights"], message: "expected a positive weight, got all 0" });
      }
    }
  });

export type Distribution = z.output<typeof DistributionSchema>;

/** A real-valued draw from `d`, clamped to its `min`/`max`. */
export function sample(d: Distribution, rng: Rng): number {
  let x: number;
  switch (d.dist) {
    case "const":
      return d.value;
    case "uniform":
      return d.min + rng.next() * (d.max - d.min);
    case "normal":
      x = d.mean + d.std * rng.normal();
      break;
    case "lognormal":
      x = d.median * Math.exp((Math.log(d.p99 / d.median) / Z99) * rng.normal());
      break;
    case "gamma":
      x = rng.gamma(d.shape) * d.scale;
      break;
    case "choice":
      x = d.values[d.weights ? rng.weighted(d.weights) : Math.floor(rng.next() * d.values.length)] ?? 0;
      break;
  }
  if (d.min !== undefined) x = Math.max(d.min, x);
  if (d.max !== undefined) x = Math.min(d.max, x);
  return x;
}

/**
 * A count (tool rounds, tokens): an integer in [0, `cap`]. `uniform` draws an integer in [min, max]
 * inclusive; other distributions are rounded to the nearest integer. `cap` (a bound of bounds.ts) clamps
 * the rare draw of an unbounded tail.
 */
export function sampleCount(d: Distribution, rng: Rng, cap = Number.POSITIVE_INFINITY): number {
  const x = d.dist === "uniform" ? rng.int(d.min, d.max) : Math.round(sample(d, rng));
  return Math.min(cap, Math.max(0, x));
}

/** The largest value `d` can draw, or `Infinity` (for validation of counts). */
export function upperBound(d: Distribution): number {
  switch (d.dist) {
    case "const":
      return d.value;
    case "uniform":
      return d.max;
    case "choice":
      return Math.min(d.max ?? Infinity, Math.max(...d.values));
    default:
      return d.max ?? Infinity;
  }
}
