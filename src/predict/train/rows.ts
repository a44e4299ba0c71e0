/** Training rows of the prior from prediction contexts: the same feature path as prediction uses. */
import { extractFeatures } from "../features/index.js";
import { ToolSetCache } from "../features/tool-set.js";
import { priorFeatures } from "../prior/features.js";
import type { PredictionContext } from "../types.js";
import type { TrainingRow } from "./fit.js";

/** The prior's raw feature vector of a context. */
export function priorRow(context: PredictionContext, cache = new ToolSetCache()): Float64Array {
  const tools = cache.get(context.tools);
  const { features, text } = extractFeatures(context, tools);
  return priorFeatures(text, features, tools);
}

/** Training rows of labelled contexts. */
export function trainingRows(cases: readonly { context: PredictionContext; calls: number }[]): TrainingRow[] {
  const cache = new ToolSetCache(4096);
  return cases.map((c) => ({ x: priorRow(c.context, cache), calls: c.calls }));
}
