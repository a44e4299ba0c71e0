/** Options of {@link createPredictor}: the zod schema is their one source; the type is derived from it. */
import { z } from "zod";
import { parseOptionsWith } from "../util/index.js";
import { PredictorOptionsError } from "./errors.js";

export const PriorSchema = z
  .object({
    /** Output tokens of an intermediate call before any run is seen. @default 100 */
    outputTokensPerCall: z.number().positive().finite().default(100),
    /** Output tokens of a final answer before any run is seen. @default 150 */
    finalOutputTokens: z.number().positive().finite().default(150),
    /** Tool-phase latency before any tool call is seen, ms. @default 1000 */
    toolLatencyMs: z.number().nonnegative().finite().default(1000),
    /** Tool calls per round before any run is seen. @default 1 */
    toolCallsPerRound: z.number().positive().finite().default(1),
  })
  .strict();

export const PredictorOptionsSchema = z
  .object({
    /**
     * log2 of the number of hashed feature buckets, 8..16. More buckets, fewer collisions between prompt
     * words; 2^12 weights is 32 KiB per model. @default 12
     */
    hashBits: z.number().int().min(8).max(16).default(12),
    /** AdaGrad base learning rate of the feature models, (0, 10]. @default 0.3 */
    learningRate: z.number().positive().max(10).default(0.3),
    /** L2 penalty of the feature models, [0, 1]. @default 0.0001 */
    l2: z.number().min(0).max(1).default(1e-4),
    /** Largest number of tool rounds a run is assumed to make, 1..256. @default 64 */
    maxRounds: z.number().int().min(1).max(256).default(64),
    /** Agent signatures kept (oldest dropped beyond), 1..1e6. @default 4096 */
    signatureCapacity: z.number().int().min(1).max(1_000_000).default(4096),
    /** Tools whose latency is tracked (oldest dropped beyond), 1..1e6. @default 4096 */
    toolCapacity: z.number().int().min(1).max(1_000_000).default(4096),
    /** Weight of a new latency sample in the exponentially weighted mean, (0, 1]. @default 0.1 */
    latencyAlpha: z.number().gt(0).max(1).default(0.1),
    /**
     * Prompts whose analysis is cached (a run is predicted again before each of its calls): about the
     * number of runs in flight at once, 1..65536. @default 256
     */
    cacheSize: z.number().int().min(1).max(65_536).default(256),
    /**
     * Start from the pretrained prior shipped with the library (trained on real function-calling data:
     * does a request need a tool, how many calls). `false`: the prompt heuristic alone, P(tool) = 1.
     * @default true
     */
    pretrained: z.boolean().default(true),
    /** Values used before anything has been learned. */
    prior: PriorSchema.prefault({}),
  })
  .strict();

/**
 * Options of {@link createPredictor}.
 * @example
 * createPredictor({ hashBits: 10, prior: { toolLatencyMs: 200 } })
 */
export type PredictorOptions = z.input<typeof PredictorOptionsSchema>;
/** Options with every default filled in. */
export type ResolvedPredictorOptions = z.output<typeof PredictorOptionsSchema>;

/** Validates options, throwing {@link PredictorOptionsError} (ZodError as `cause`) on bad input. */
export function resolveOptions(options: PredictorOptions | undefined): ResolvedPredictorOptions {
  return parseOptionsWith(PredictorOptionsSchema, options, PredictorOptionsError);
}
