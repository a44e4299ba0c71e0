/**
 * The per-prompt analysis a prediction needs (features, cold-start estimate, signature, hashed vector),
 * cached because a run is predicted again before each of its calls with the same prompts and tools.
 * Caches are bounded maps that drop their oldest entry when full.
 */
import { coldStartRounds, parallelCallsPerRound } from "./cold-start.js";
import { combineHashes, fnv1a, type SparseVector } from "./features/hashing.js";
import {
  extractFeatures,
  featureVector,
  type PromptFeatures,
  ToolSetCache,
  type ToolSetInfo,
} from "./features/index.js";
import { priorFeatures } from "./prior/features.js";
import { type PriorEstimate, type PriorModel, withOpenTools } from "./prior/model.js";
import type { PredictionContext, ToolSchema } from "./types.js";

export interface RunAnalysis {
  readonly tools: ToolSetInfo;
  readonly coldRounds: number;
  /** The pretrained prior's view of the request; `undefined` without a prior or without bound tools. */
  readonly prior: PriorEstimate | undefined;
  /** Calls per round the prompt implies (parallel items), >= 1. */
  readonly promptCallsPerRound: number;
  /** Agent signature: hash of the system prompt and the sorted tool names, as 8 hex digits. */
  readonly signature: string;
  /**
   * Statistics key: the agent signature. (It used to be refined by the kind of evidence the prompt gives,
   * {@link evidenceKind}; with prompts that are noisy hints the split only fragmented each agent's
   * statistics: Spearman of remaining cost 0.625 with it vs 0.630 without, mean over the tuning set
   * infercept-mix and toolbench-like, seeds 1 and 2, 2 and 10 runs/s.)
   */
  readonly statsKey: string;
  readonly vector: SparseVector;
}

function remember<K, V>(map: Map<K, V>, key: K, value: V, capacity: number): V {
  if (map.size >= capacity) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
  map.set(key, value);
  return value;
}

interface CachedAnalysis {
  system: string;
  tools: readonly ToolSchema[];
  promptTokens: number | undefined;
  analysis: RunAnalysis;
}

/** What kind of evidence of its length a prompt gives: a written count, a list, a sequence of steps, or none. */
export function evidenceKind(f: PromptFeatures): "count" | "list" | "steps" | "none" {
  if (f.countNearTool > 0 || f.firstCount > 0) return "count";
  if (f.bulletLines >= 2 || f.separatedItems >= 2) return "list";
  if (f.stepConjunctions > 0 || f.highestOrdinal > 1) return "steps";
  return "none";
}

export class Analyser {
  readonly #bits: number;
  readonly #capacity: number;
  readonly #toolSets: ToolSetCache;
  readonly #systemHashes = new Map<string, number>();
  readonly #byPrompt = new Map<string, CachedAnalysis>();
  readonly #prior: PriorModel | undefined;

  constructor(bits: number, capacity: number, prior?: PriorModel) {
    this.#bits = bits;
    this.#prior = prior;
    this.#capacity = capacity;
    this.#toolSets = new ToolSetCache(Math.min(capacity, 1024));
  }

  /** Agent signature of a system prompt and tool set. */
  signatureOf(systemPrompt: string, tools: ToolSetInfo): string {
    const system = typeof systemPrompt === "string" ? systemPrompt : "";
    const systemHash =
      this.#systemHashes.get(system) ?? remember(this.#systemHashes, system, fnv1a(system), this.#capacity);
    return combineHashes(systemHash, tools.hash).toString(16).padStart(8, "0");
  }

  analyse(context: PredictionContext): RunAnalysis {
    const user = typeof context.userPrompt === "string" ? context.userPrompt : "";
    const system = typeof context.systemPrompt === "string" ? context.systemPrompt : "";
    const toolList = Array.isArray(context.tools) ? context.tools : [];
    const cached = this.#byPrompt.get(user);
    if (
      cached !== undefined &&
      cached.system === system &&
      cached.promptTokens === context.promptTokens &&
      (cached.tools === toolList || this.#toolSets.get(toolList) === cached.analysis.tools)
    ) {
      return cached.analysis;
    }
    const tools = this.#toolSets.get(toolList);
    const { features, words, text } = extractFeatures(context, tools);
    const prior =
      this.#prior === undefined || tools.count === 0
        ? undefined
        : withOpenTools(this.#prior.estimate(priorFeatures(text, features, tools)), tools.schema.openTools);
    const coldRounds = coldStartRounds(features, prior);
    const promptCallsPerRound = parallelCallsPerRound(features, prior);
    const signature = this.signatureOf(system, tools);
    const vector = featureVector(
      features,
      words,
      coldRounds,
      Number.parseInt(signature, 16),
      tools,
      this.#bits,
    );
    const statsKey = signature;
    // Only what predict() needs is kept: cached entries live long enough to be promoted by the GC, so
    // every retained byte is copied (the named features are not kept; the vector is packed).
    const packed: SparseVector = {
      indices: Int32Array.from(vector.indices),
      values: Float64Array.from(vector.values),
    };
    const analysis: RunAnalysis = {
      tools,
      coldRounds,
      prior,
      promptCallsPerRound,
      signature,
      statsKey,
      vector: packed,
    };
    remember(
      this.#byPrompt,
      user,
      { system, tools: toolList, promptTokens: context.promptTokens, analysis },
      this.#capacity,
    );
    return analysis;
  }
}
