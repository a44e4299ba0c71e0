/**
 * The BFCL v4 tuning set (data/bfcl/bfcl-tuning.json, Apache-2.0; see NOTICE and data/bfcl/README.md):
 * real prompts with OpenAI tool schemas and the true number of calls, read and validated here for the
 * training script and the predictor bench.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { parseWith } from "../../util/index.js";
import type { PredictionContext, ToolSchema } from "../types.js";

/** Path of the tuning set, relative to the repository root. */
export const BFCL_TUNING_PATH = "data/bfcl/bfcl-tuning.json";

const OpenAiToolSchema = z.object({
  type: z.literal("function"),
  function: z.object({
    name: z.string(),
    description: z.string().optional(),
    parameters: z.unknown().optional(),
  }),
});

const TuningFileSchema = z.object({
  source: z.object({ repo: z.string(), commit: z.string(), licence: z.string() }).passthrough(),
  toolSets: z.array(z.array(OpenAiToolSchema)),
  cases: z.array(
    z.object({
      id: z.string(),
      category: z.string(),
      system: z.string(),
      prompt: z.string(),
      tools: z.number().int().nonnegative(),
      calls: z.number().int().nonnegative(),
      parallelRounds: z.number().int().nonnegative(),
    }),
  ),
});

/** One tuning case as the predictor sees it, with its truth. */
export interface BfclCase {
  id: string;
  category: string;
  context: PredictionContext;
  /** True number of tool calls (0: no bound tool fits). */
  calls: number;
  /** True number of rounds the calls are issued in. */
  rounds: number;
}

export interface BfclSet {
  source: { repo: string; commit: string; licence: string };
  cases: BfclCase[];
}

/** Reads and validates the tuning set. @throws Error naming the file and the first problem. */
export function loadBfcl(path = BFCL_TUNING_PATH): BfclSet {
  const data = parseWith(TuningFileSchema, JSON.parse(readFileSync(path, "utf8")), ([issue], cause) => {
    return new Error(`${path}: ${issue?.path ?? ""}: ${issue?.message ?? "invalid"}`, { cause });
  });
  const toolSets: ToolSchema[][] = data.toolSets.map((set) =>
    set.map((tool) => ({
      name: tool.function.name,
      ...(tool.function.description === undefined ? {} : { description: tool.function.description }),
      ...(tool.function.parameters === undefined ? {} : { parameters: tool.function.parameters }),
    })),
  );
  const cases = data.cases.map((c) => {
    const tools = toolSets[c.tools];
    if (tools === undefined) throw new Error(`${path}: case ${c.id}: no tool set ${c.tools}`);
    return {
      id: c.id,
      category: c.category,
      context: { systemPrompt: c.system, userPrompt: c.prompt, tools, toolRoundsDone: 0 },
      calls: c.calls,
      rounds: c.parallelRounds,
    };
  });
  const { repo, commit, licence } = data.source;
  return { source: { repo, commit, licence }, cases };
}

/**
 * Deterministic fold of a case for k-fold cross-validation: a hash of its id, so that folds do not
 * follow the file's order (which is grouped by category).
 */
export function foldOf(id: string, folds: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % folds;
}
