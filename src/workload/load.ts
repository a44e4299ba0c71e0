/**
 * `loadWorkload`: one entry point for both kinds of workload file (synthetic populations and recorded traces).
 */
import { readFileSync } from "node:fs";
import type { z } from "zod";
import { parseWith } from "../util/index.js";
import { WorkloadFileError, WorkloadValidationError } from "./errors.js";
import { type GenerateOptions, generateWorkload } from "./generate.js";
import { TraceFileSchema, WorkloadFileSchema } from "./schema.js";
import { convertTrace } from "./trace.js";
import type { GeneratedWorkload } from "./types.js";

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new WorkloadFileError(path, (error as Error).message, error);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WorkloadFileError(path, `not valid JSON (${(error as Error).message})`, error);
  }
}

/** True when `value` looks like a recorded trace (it says so in `format`). */
function isTrace(value: unknown): boolean {
  return typeof value === "object" && value !== null && "format" in value;
}

/**
 * Validates a workload (a file path, or the parsed JSON) and generates its concrete runs.
 * Files with a `format` field are recorded traces; others are synthetic populations.
 *
 * @throws WorkloadFileError when the file cannot be read or parsed.
 * @throws WorkloadValidationError listing the JSON path of every problem.
 * @example
 * const workload = loadWorkload("workloads/infercept-mix.json", { seed: 1, ratePerS: 4 });
 */
export function loadWorkload(source: string | object, options: GenerateOptions = {}): GeneratedWorkload {
  const label = typeof source === "string" ? source : "object";
  const json = typeof source === "string" ? readJson(source) : source;
  // A workload file's issues keep zod's wording and JSON paths (`$.classes[0].tools[1]`).
  const invalid = (_: unknown, cause: z.ZodError) => new WorkloadValidationError(label, cause);
  if (isTrace(json)) {
    return convertTrace(parseWith(TraceFileSchema, json, invalid), options);
  }
  return generateWorkload(parseWith(WorkloadFileSchema, json, invalid), options);
}
