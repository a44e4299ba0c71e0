/**
 * The pretrained prior of Stage I: a two-part (hurdle) model of the number of tool calls a request makes,
 * trained offline (`npm run train:predictor`, src/predict/train/) on real function-calling prompts:
 * - `needsTool`: a logistic regression, P(at least one tool call);
 * - `extraCalls`: a Poisson regression of the calls beyond the first, given that a tool is called.
 * Expected calls = P(tool) x (1 + extra calls). Both read the standardised {@link PRIOR_FEATURES}.
 *
 * The weights ship in a versioned JSON file beside this module and load without any network access.
 */
import { z } from "zod";
import { parseWith } from "../../util/index.js";
import { PRIOR_FEATURES } from "./features.js";

export const PRIOR_FORMAT = "augserve-prior";
export const PRIOR_VERSION = 1;

const finite = z.number().finite();

export const PriorWeightsSchema = z
  .object({
    format: z.literal(PRIOR_FORMAT),
    version: z.literal(PRIOR_VERSION),
    /** Feature names, in order: must equal {@link PRIOR_FEATURES}. */
    features: z.array(z.string()),
    /** Per feature: subtracted, then divided by `scale` (the bias keeps mean 0, scale 1). */
    mean: z.array(finite),
    scale: z.array(finite.positive()),
    needsTool: z.array(finite),
    extraCalls: z.array(finite),
    /** Free-form provenance: data, its commit, the training options. */
    trainedOn: z.record(z.string(), z.unknown()),
  })
  .strict()
  .superRefine((w, ctx) => {
    const n = PRIOR_FEATURES.length;
    if (w.features.join(",") !== PRIOR_FEATURES.join(","))
      ctx.addIssue({
        code: "custom",
        path: ["features"],
        message: "feature list differs from this version's",
      });
    for (const key of ["mean", "scale", "needsTool", "extraCalls"] as const) {
      if (w[key].length !== n)
        ctx.addIssue({ code: "custom", path: [key], message: `expected ${n} numbers, got ${w[key].length}` });
    }
  });

export type PriorWeights = z.output<typeof PriorWeightsSchema>;

/** What the prior says of one request. */
export interface PriorEstimate {
  /** P(the request makes at least one tool call), in (0, 1). */
  needsTool: number;
  /** Expected calls given that it makes one, >= 1. */
  callsIfTool: number;
  /** needsTool x callsIfTool. */
  expectedCalls: number;
}

/** Cap of the Poisson part's linear predictor: e^3 = 20 extra calls. */
const MAX_EXTRA_LINEAR = 3;

export class PriorModel {
  readonly weights: PriorWeights;
  readonly #mean: Float64Array;
  readonly #inverseScale: Float64Array;
  readonly #needsTool: Float64Array;
  readonly #extraCalls: Float64Array;

  /** @throws ZodError-derived Error when `weights` is not a prior of this version. */
  constructor(weights: unknown) {
    const parsed = parseWith(
      PriorWeightsSchema,
      weights,
      ([issue], cause) => new Error(`Invalid prior weights: ${issue?.message ?? ""}`, { cause }),
    );
    this.weights = parsed;
    this.#mean = Float64Array.from(parsed.mean);
    this.#inverseScale = Float64Array.from(parsed.scale, (s) => 1 / s);
    this.#needsTool = Float64Array.from(parsed.needsTool);
    this.#extraCalls = Float64Array.from(parsed.extraCalls);
  }

  /** Linear predictors of both parts for a raw feature vector. */
  linear(x: ArrayLike<number>): { needsTool: number; extraCalls: number } {
    let a = 0;
    let b = 0;
    for (let i = 0; i < this.#mean.length; i++) {
      const z = ((x[i] ?? 0) - this.#mean[i]!) * this.#inverseScale[i]!;
      a += this.#needsTool[i]! * z;
      b += this.#extraCalls[i]! * z;
    }
    return { needsTool: a, extraCalls: b };
  }

  estimate(x: ArrayLike<number>): PriorEstimate {
    const { needsTool, extraCalls } = this.linear(x);
    const p = 1 / (1 + Math.exp(-Math.max(-30, Math.min(30, needsTool))));
    const calls = 1 + Math.exp(Math.min(MAX_EXTRA_LINEAR, extraCalls));
    return { needsTool: p, callsIfTool: calls, expectedCalls: p * calls };
  }
}

/**
 * P(tool) given at least one open tool is bound (see `SchemaIndex.openTools`): a web search or a
 * calculator can serve a request its schema does not match, so the prior's "nothing matches, no tool"
 * does not apply. Hand-set, not trained: the tuning set binds almost no open tools (2 of 1,240 cases).
 */
export const OPEN_TOOL_FLOOR = 0.9;

/** The estimate with P(tool) raised to {@link OPEN_TOOL_FLOOR} when an open tool is bound. */
export function withOpenTools(estimate: PriorEstimate, openTools: number): PriorEstimate {
  if (openTools === 0 || estimate.needsTool >= OPEN_TOOL_FLOOR) return estimate;
  return { ...estimate, needsTool: OPEN_TOOL_FLOOR, expectedCalls: OPEN_TOOL_FLOOR * estimate.callsIfTool };
}
