/**
 * Feature extraction for Stage I prediction: a prompt and a tool set -> named numeric features (used by
 * the cold-start heuristic and shown in docs) and a hashed sparse vector (used by the online models).
 * Every extractor lives in its own module with the reason it carries signal.
 */
import type { PredictionContext } from "../types.js";
import { type CountMention, countMentions, highestOrdinal, listShape } from "./counts.js";
import { bucketOf, combineHashes, DENSE_SLOTS, fnv1a, push, type SparseBuilder, sparse } from "./hashing.js";
import { imperativeVerbs, questionCount, stepConjunctions, toolMentions } from "./steps.js";
import { type ScannedText, scanText } from "./text.js";
import type { ToolSetInfo } from "./tool-set.js";

export { DENSE_SLOTS } from "./hashing.js";
export { ToolSetCache, type ToolSetInfo } from "./tool-set.js";

/** Named features of one prompt with one tool set. All finite and >= 0. */
export interface PromptFeatures {
  toolCount: number;
  /** Largest count written within {@link NEAR_TOOL_WINDOW} tokens of a tool-related word, 0 if none. */
  countNearTool: number;
  /** Largest explicit count ("these 4", "the following 3"), 0 if none. */
  explicitCount: number;
  /** First count written anywhere in the prompt, 0 if none. */
  firstCount: number;
  /** How many counts the prompt writes. */
  countMentions: number;
  bulletLines: number;
  separatedItems: number;
  ands: number;
  highestOrdinal: number;
  stepConjunctions: number;
  questions: number;
  imperatives: number;
  toolVerbs: number;
  nameMentions: number;
  descriptionMentions: number;
  /** Characters of system + user prompt. */
  promptChars: number;
  /** Prompt tokens of the first call when the caller knows them, else 0. */
  promptTokens: number;
  enumParameters: number;
  arrayParameters: number;
}

/** Tokens around a tool word within which a count is read as "how many times to use that tool". */
export const NEAR_TOOL_WINDOW = 6;

/**
 * Words of the user prompt hashed as unigram features: this many from its start (a task stated up
 * front) and as many from its end (the latest request of a long conversation).
 */
const HASHED_WORDS = 32;

function nearToolCount(mentions: CountMention[], positions: number[]): number {
  let best = 0;
  for (const mention of mentions) {
    for (const at of positions) {
      if (Math.abs(at - mention.at) <= NEAR_TOOL_WINDOW) {
        if (mention.value > best) best = mention.value;
        break;
      }
    }
  }
  return best;
}

/** Extracts the named features of a run's prompt. The scan is bounded (see text.ts), so cost is too. */
export function extractFeatures(
  context: PredictionContext,
  tools: ToolSetInfo,
  quantitiesAsCounts = false,
): { features: PromptFeatures; words: string[]; text: ScannedText } {
  const user = typeof context.userPrompt === "string" ? context.userPrompt : "";
  const system = typeof context.systemPrompt === "string" ? context.systemPrompt : "";
  const text = scanText(user);
  const counts = countMentions(text, quantitiesAsCounts);
  const list = listShape(text);
  const verbs = imperativeVerbs(text, tools);
  const mentions = toolMentions(text, tools);
  const tokens = Number(context.promptTokens);
  return {
    features: {
      toolCount: tools.count,
      countNearTool: nearToolCount(counts, mentions.positions),
      firstCount: counts[0]?.value ?? 0,
      explicitCount: counts.reduce((max, c) => (c.explicit && c.value > max ? c.value : max), 0),
      countMentions: counts.length,
      bulletLines: list.bulletLines,
      separatedItems: list.separatedItems,
      ands: list.ands,
      highestOrdinal: highestOrdinal(text),
      stepConjunctions: stepConjunctions(text),
      questions: questionCount(text),
      imperatives: verbs.imperatives,
      toolVerbs: verbs.toolVerbs,
      nameMentions: mentions.nameMentions,
      descriptionMentions: mentions.descriptionMentions,
      promptChars: user.length + system.length,
      promptTokens: Number.isFinite(tokens) && tokens > 0 ? tokens : 0,
      enumParameters: tools.enumParameters,
      arrayParameters: tools.arrayParameters,
    },
    words: text.tokens,
    text,
  };
}

/** Order of the dense slots (after the bias in slot 0); fixed: saved models index by it. */
const DENSE_ORDER: readonly (keyof PromptFeatures)[] = [
  "toolCount",
  "countNearTool",
  "firstCount",
  "countMentions",
  "bulletLines",
  "separatedItems",
  "ands",
  "highestOrdinal",
  "stepConjunctions",
  "questions",
  "imperatives",
  "toolVerbs",
  "nameMentions",
  "descriptionMentions",
  "promptChars",
  "promptTokens",
  "enumParameters",
  "arrayParameters",
];
/** Slot of log1p(cold-start rounds estimate). */
export const COLD_SLOT = DENSE_ORDER.length + 1;
/** Slot of the has-tools indicator, then of the "states a count" and "has a list" indicators. */
const HAS_TOOLS_SLOT = COLD_SLOT + 1;
const HAS_COUNT_SLOT = COLD_SLOT + 2;
const HAS_LIST_SLOT = COLD_SLOT + 3;
if (HAS_LIST_SLOT >= DENSE_SLOTS) throw new Error("DENSE_SLOTS is too small for the dense features");

const bucketCache = new WeakMap<ToolSetInfo, { bits: number; buckets: number[] }>();

/** Buckets of the per-tool features, computed once per tool set (50 tools: 50 hashes saved per call). */
function toolBuckets(tools: ToolSetInfo, bits: number): number[] {
  const cached = bucketCache.get(tools);
  if (cached !== undefined && cached.bits === bits) return cached.buckets;
  const buckets = tools.nameHashes.map((hash) => bucketOf(combineHashes(hash, 3), bits));
  bucketCache.set(tools, { bits, buckets });
  return buckets;
}

/**
 * The hashed feature vector: bias, log1p of every named feature, log1p of the cold-start estimate, a
 * per-signature intercept and slope (signature x bias, signature x cold estimate), one feature per bound
 * tool, and the first words of the user prompt.
 */
export function featureVector(
  features: PromptFeatures,
  words: readonly string[],
  coldRounds: number,
  signature: number,
  tools: ToolSetInfo,
  bits: number,
): SparseBuilder {
  const vector = sparse();
  push(vector, 0, 1);
  for (let i = 0; i < DENSE_ORDER.length; i++) {
    const value = features[DENSE_ORDER[i]!];
    // Lengths are scaled down so that every dense feature is O(1) and one learning rate fits all.
    const scaled = i >= 14 && i <= 15 ? Math.log1p(value) / 4 : Math.log1p(value);
    push(vector, i + 1, scaled);
  }
  const cold = Math.log1p(coldRounds);
  push(vector, COLD_SLOT, cold);
  push(vector, HAS_TOOLS_SLOT, tools.count > 0 ? 1 : 0);
  // Indicators let a log-linear model switch between "the prompt says n" and "use the agent's typical length".
  push(vector, HAS_COUNT_SLOT, features.countNearTool > 0 || features.firstCount > 0 ? 1 : 0);
  push(vector, HAS_LIST_SLOT, features.bulletLines >= 2 || features.separatedItems >= 2 ? 1 : 0);
  push(vector, bucketOf(combineHashes(signature, 1), bits), 1);
  push(vector, bucketOf(combineHashes(signature, 2), bits), cold);
  const toolWeight = tools.count > 0 ? 1 / Math.sqrt(tools.count) : 0;
  for (const bucket of toolBuckets(tools, bits)) push(vector, bucket, toolWeight);
  const head = Math.min(words.length, HASHED_WORDS);
  const tailStart = Math.max(head, words.length - HASHED_WORDS);
  const n = head + words.length - tailStart;
  const wordWeight = n > 0 ? 1 / Math.sqrt(n) : 0;
  for (let i = 0; i < words.length; i = i + 1 === head ? tailStart : i + 1) {
    const word = words[i]!;
    if (word.length < 3) continue;
    push(vector, bucketOf(fnv1a(word), bits), wordWeight);
  }
  return vector;
}
