/**
 * Engine options: the zod schema is their one source; `EngineOptions` is its input type.
 */
import { z } from "zod";
import { parseWith } from "../../util/index.js";
import { SimOptionsError } from "../errors.js";
import type { CostModel } from "./cost-model.js";
import { DEFAULT_PROFILE, getProfile, type SimProfile } from "./profiles.js";
import { SCHEDULING_POLICIES, type SchedulingPolicy } from "./request-queue.js";

const positiveInt = z.number().int().positive();

export const EngineOptionsSchema = z
  .object({
    /** Profile name (see `SIM_PROFILES`). @default "llama3-8b-h100" */
    profile: z.string().default(DEFAULT_PROFILE),
    /** `fcfs` or `priority` (lower `priority` first, FCFS tie-break). @default "fcfs" */
    schedulingPolicy: z.enum(SCHEDULING_POLICIES).default("fcfs"),
    /** KV capacity in tokens (rounded down to whole blocks). @default the profile's derived capacity */
    kvCapacityTokens: positiveInt.optional(),
    /** Tokens per KV block. @default 16 */
    blockSize: positiveInt.max(1024).default(16),
    /** Most sequences running at once. @default the profile's (vLLM V1: 1024) */
    maxNumSeqs: positiveInt.optional(),
    /** Most tokens computed in one step (decode + prefill chunks). @default the profile's (vLLM V1: 8192) */
    maxNumBatchedTokens: positiveInt.optional(),
    /** Longest prompt + output a request may have. @default min(profile's, KV capacity) */
    maxModelLen: positiveInt.optional(),
    /** Overrides of single cost-model constants (ms). */
    cost: z
      .object({
        c0: z.number().nonnegative(),
        kToken: z.number().nonnegative(),
        cPrefill: z.number().nonnegative(),
        cSeq: z.number().nonnegative(),
        cCtx: z.number().nonnegative(),
        cAttn: z.number().nonnegative(),
      })
      .partial()
      .optional(),
  })
  .strict();

/**
 * @example
 * new Engine({ profile: "llama3-8b-a100", schedulingPolicy: "priority", kvCapacityTokens: 100_000 })
 */
export type EngineOptions = z.input<typeof EngineOptionsSchema>;

export interface ResolvedEngineOptions {
  profile: SimProfile;
  schedulingPolicy: SchedulingPolicy;
  cost: CostModel;
  blockSize: number;
  numBlocks: number;
  kvCapacityTokens: number;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  maxModelLen: number;
}

/** Validates and fills defaults; throws `SimOptionsError` (or `UnknownProfileError`). */
export function resolveEngineOptions(options: EngineOptions = {}): ResolvedEngineOptions {
  const o = parseWith(
    EngineOptionsSchema,
    options,
    (issues, cause) => new SimOptionsError("engine", cause, issues),
  );
  const profile = getProfile(o.profile);
  const numBlocks = Math.floor((o.kvCapacityTokens ?? profile.kvCapacityTokens) / o.blockSize);
  if (numBlocks < 1) {
    throw new SimOptionsError(
      "engine",
      new z.ZodError([
        {
          code: "custom",
          path: ["kvCapacityTokens"],
          message: `Expected at least one block of ${o.blockSize} tokens, got ${o.kvCapacityTokens}`,
          input: o.kvCapacityTokens,
        },
      ]),
    );
  }
  const kvCapacityTokens = numBlocks * o.blockSize;
  return {
    profile,
    schedulingPolicy: o.schedulingPolicy,
    cost: { ...profile.cost, ...o.cost },
    blockSize: o.blockSize,
    numBlocks,
    kvCapacityTokens,
    maxNumSeqs: o.maxNumSeqs ?? profile.maxNumSeqs,
    maxNumBatchedTokens: o.maxNumBatchedTokens ?? profile.maxNumBatchedTokens,
    maxModelLen: Math.min(o.maxModelLen ?? profile.maxModelLen, kvCapacityTokens),
  };
}
