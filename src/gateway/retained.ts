/**
 * What a run keeps between calls, and how it is counted against `maxRetainedBytes` (docs/gateway.md, "Memory
 * is bounded by bytes"): its Stage I text, cut, and its tool schemas, at conservative bytes per character.
 */
import { toolChars as accountingToolChars } from "../accounting/index.js";
import type { PredictionContext } from "../predict/types.js";

/**
 * Characters of a run's system prompt and of its user prompt kept for Stage I. The predictor reads a
 * prompt's wording (counts, lists, steps) and caches its analysis per prompt (256 prompts by default), so
 * a 400 KiB prompt kept whole costs 400 KiB per run and per cache entry; its length still reaches Stage I
 * whole, as the prompt-token feature.
 */
export const STAGE_ONE_TEXT_CHARS = 32 * 1024;

/**
 * Heap bytes counted per character of a run's tool schemas as JSON: they are kept parsed (objects, arrays,
 * strings). Measured on Node 20: 1.4 heap bytes per JSON character for 400 parsed tool schemas of 8 fields
 * each; zod's validated copy may hold up to about twice that. 4 stays on the safe side.
 */
const TOOL_BYTES_PER_JSON_CHAR = 4;

/** Heap bytes counted per character of kept text (V8 stores two bytes per character outside Latin-1). */
const TEXT_BYTES_PER_CHAR = 2;

/** Fixed bytes counted per run (its object, handles, maps' entries), so that tiny runs are bounded too. */
const RUN_OVERHEAD_BYTES = 2048;

/** Bytes counted for a run's retained Stage I context (see the constants above). */
export function retainedBytesOf(context: PredictionContext): number {
  let toolChars = 0;
  for (const tool of context.tools) toolChars += accountingToolChars(tool);
  return (
    RUN_OVERHEAD_BYTES +
    TEXT_BYTES_PER_CHAR * (context.systemPrompt.length + context.userPrompt.length) +
    TOOL_BYTES_PER_JSON_CHAR * toolChars
  );
}

/**
 * At most {@link STAGE_ONE_TEXT_CHARS} of `text`, in a string of its own: V8's `slice` returns a view that
 * keeps the whole original alive (a 400 KiB prompt retained by its first 32 KiB), so a cut text is copied.
 */
export function keptText(text: string): string {
  if (text.length <= STAGE_ONE_TEXT_CHARS) return text;
  return Buffer.from(text.slice(0, STAGE_ONE_TEXT_CHARS), "utf16le").toString("utf16le");
}
