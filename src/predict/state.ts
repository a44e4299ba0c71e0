/**
 * The saved form of an {@link OnlinePredictor}: versioned JSON, validated with zod before any of it is used.
 * Version 1. A file of another version is "incompatible" (there is no older version to migrate from yet;
 * a future version adds its migration here).
 */
import { z } from "zod";
import { issueLines, parseWith } from "../util/index.js";
import { PredictorStateError } from "./errors.js";
import { PredictorOptionsSchema } from "./options.js";

export const PREDICTOR_STATE_FORMAT = "augserve-predictor";
export const PREDICTOR_STATE_VERSION = 1;

const num = z.number().finite();
const count = z.number().finite().nonnegative();
const triple = z.tuple([count, num, num]);

const RegressionSchema = z
  .object({
    loss: z.enum(["poisson", "squared"]),
    size: z.number().int().positive(),
    updates: count,
    weights: z.array(z.tuple([z.number().int().nonnegative(), num, count])),
  })
  .refine((m) => m.weights.every(([index]) => index < m.size), { message: "weight index outside the table" });

const SignatureSchema = z.object({
  rounds: triple,
  callsPerRound: triple,
  logTokensPerCall: triple,
  logFinalTokens: triple,
  coldSqError: triple,
  modelSqError: triple,
  meanSqError: triple,
  blendSqError: triple.optional(),
  coldStartSqError: triple.optional(),
  blendCallsSqError: triple.optional(),
  coldCallsSqError: triple.optional(),
  residuals: z.object({ min: z.number().int(), counts: z.array(count).min(1).max(1024) }),
});

export const PredictorStateSchema = z
  .object({
    format: z.literal(PREDICTOR_STATE_FORMAT),
    version: z.literal(PREDICTOR_STATE_VERSION),
    options: PredictorOptionsSchema,
    runsLearned: count,
    models: z.object({
      rounds: RegressionSchema,
      tokensPerCall: RegressionSchema,
      finalTokens: RegressionSchema,
    }),
    signatures: z.array(z.tuple([z.string(), SignatureSchema])),
    global: SignatureSchema,
    latency: z.object({ tools: z.record(z.string(), triple), all: triple }),
  })
  .superRefine((state, ctx) => {
    const size = 1 << state.options.hashBits;
    for (const key of ["rounds", "tokensPerCall", "finalTokens"] as const) {
      if (state.models[key].size !== size) {
        ctx.addIssue({
          code: "custom",
          path: ["models", key, "size"],
          message: `expected ${size} buckets (2^hashBits), got ${state.models[key].size}`,
        });
      }
    }
  });

export type PredictorState = z.output<typeof PredictorStateSchema>;

function describe(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}

/**
 * Validates a parsed predictor state.
 * @throws PredictorStateError `incompatible` (not a predictor state, or another version) or `invalid`.
 */
export function parseState(json: unknown, path?: string): PredictorState {
  const head = typeof json === "object" && json !== null ? (json as Record<string, unknown>) : undefined;
  if (head === undefined || head.format !== PREDICTOR_STATE_FORMAT) {
    throw new PredictorStateError(
      "incompatible",
      `expected an object with format "${PREDICTOR_STATE_FORMAT}", got ${head === undefined ? describe(json) : `format ${JSON.stringify(head.format)}`}`,
      path === undefined ? {} : { path },
    );
  }
  if (head.version !== PREDICTOR_STATE_VERSION) {
    throw new PredictorStateError(
      "incompatible",
      `expected version ${PREDICTOR_STATE_VERSION}, got ${JSON.stringify(head.version)}`,
      path === undefined ? {} : { path },
    );
  }
  return parseWith(PredictorStateSchema, json, (described, cause) => {
    const issues = issueLines(described, "(root)");
    return new PredictorStateError(
      "invalid",
      `${issues.length} problem(s): ${issues.slice(0, 5).join("; ")}`,
      {
        ...(path === undefined ? {} : { path }),
        issues,
        cause,
      },
    );
  });
}
