/**
 * The features of the pretrained prior: a fixed, named list of numbers read from the request and the bound
 * schemas. They are chosen to carry over to prompts nobody here has seen: each one is a cue of structure
 * (lists, values, sentences, words that add or distribute a request) or of fit between the prompt and the
 * schemas, never the identity of a word. (Hashed words were tried: see docs/predictor.md.)
 */
import type { PromptFeatures } from "../features/index.js";
import { parallelItems } from "../features/items.js";
import { matchSchemas } from "../features/schema-match.js";
import type { ScannedText } from "../features/text.js";
import type { ToolSetInfo } from "../features/tool-set.js";

/** Names of the prior's features, in the order of the vector (saved weights index by it). */
export const PRIOR_FEATURES = [
  "bias",
  "logTools",
  "nameCover",
  "promptCover",
  "requiredCover",
  "bestMatch",
  "secondMatch",
  "logMatchedTools",
  "logListItems",
  "logAnds",
  "logAdditive",
  "logDistributive",
  "logValues",
  "logCounts",
  "logStatedCount",
  "logSentences",
  "logQuestions",
  "logSteps",
  "logCommas",
  "logPromptStems",
  "logWords",
  "bestHasArray",
  "bestHasEnum",
  "bestHasNested",
  "logBestRequired",
  "noMatch",
  "logConjunctions",
  "listItems",
  "logOrdinal",
  "logValuesPerRequired",
  "logNames",
  "logQuoted",
] as const;

export type PriorFeatureName = (typeof PRIOR_FEATURES)[number];

const l = Math.log1p;

/** The prior's feature vector of a scanned prompt against a tool set (length {@link PRIOR_FEATURES}). */
export function priorFeatures(text: ScannedText, f: PromptFeatures, tools: ToolSetInfo): Float64Array {
  const m = matchSchemas(text.tokens, tools.schema);
  const items = parallelItems(text);
  const best = m.bestTool >= 0 ? tools.schema.shapes[m.bestTool] : undefined;
  const stated = Math.max(f.countNearTool, f.firstCount);
  const values: Record<PriorFeatureName, number> = {
    bias: 1,
    logTools: l(tools.count),
    nameCover: m.nameCover,
    promptCover: m.promptCover,
    requiredCover: m.requiredCover,
    bestMatch: m.best,
    secondMatch: m.second,
    logMatchedTools: l(m.matched),
    logListItems: l(items.listItems - 1),
    logAnds: l(f.ands),
    logAdditive: l(items.additive),
    logDistributive: l(items.distributive),
    logValues: l(items.values),
    logCounts: l(items.counts),
    logStatedCount: l(stated),
    logSentences: l(text.sentenceEnds),
    logQuestions: l(text.questionMarks),
    logSteps: l(f.stepConjunctions),
    logCommas: l(text.commas),
    logPromptStems: l(m.promptStems) / 2,
    logWords: l(text.tokens.length) / 2,
    bestHasArray: best !== undefined && best.arrays > 0 ? 1 : 0,
    bestHasEnum: best !== undefined && best.enums > 0 ? 1 : 0,
    bestHasNested: best !== undefined && best.nested > 0 ? 1 : 0,
    logBestRequired: best === undefined ? 0 : l(best.required),
    noMatch: m.best === 0 ? 1 : 0,
    logConjunctions: l(text.commas + f.ands + items.additive),
    listItems: Math.min(items.listItems, 10),
    logOrdinal: l(f.highestOrdinal),
    // Values given per required parameter of the best tool: "85 kg, 175 cm, 60 kg, 160 cm" for a tool
    // of (weight, height) is two calls' worth of arguments.
    logValuesPerRequired: l(items.values / Math.max(1, best?.required ?? 1)),
    logNames: l(text.capitalised),
    logQuoted: l(text.quoted),
  };
  const out = new Float64Array(PRIOR_FEATURES.length);
  for (let i = 0; i < PRIOR_FEATURES.length; i++) {
    const v = values[PRIOR_FEATURES[i]!];
    out[i] = Number.isFinite(v) ? v : 0;
  }
  return out;
}
