/** Named errors of workload loading, exported for `instanceof`. */
import type { z } from "zod";
import { AugServeError } from "../util/index.js";

/** One problem of a workload file: where (a JSON path such as `$.classes[0].tools[1]`) and what. */
export interface WorkloadIssue {
  path: string;
  message: string;
}

/** Formats a zod issue path as a JSON path. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = "$";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** The workload file does not match its schema. `issues` lists every problem with its JSON path. */
export class WorkloadValidationError extends AugServeError {
  static override readonly code = "WORKLOAD_INVALID";
  override readonly name = "WorkloadValidationError";
  readonly source: string;
  readonly issues: WorkloadIssue[];

  constructor(source: string, error: z.ZodError) {
    const issues = error.issues.map((issue) => ({ path: jsonPath(issue.path), message: issue.message }));
    super(
      `Invalid workload ${source}: ${issues.length} problem(s)\n` +
        issues.map((i) => `  ${i.path}: ${i.message}`).join("\n"),
      { cause: error },
    );
    this.source = source;
    this.issues = issues;
  }
}

/** The workload file cannot be read or is not JSON. */
export class WorkloadFileError extends AugServeError {
  static override readonly code = "WORKLOAD_FILE";
  override readonly name = "WorkloadFileError";
  readonly path: string;

  constructor(path: string, message: string, cause?: unknown) {
    super(`Cannot load workload ${path}: ${message}`, { cause });
    this.path = path;
  }
}

/**
 * Generating the workload would exceed one of the size bounds of `WORKLOAD_LIMITS` (bounds.ts). Thrown
 * before anything is allocated when the expected size is over the bound, and during generation when the
 * drawn size passes it.
 */
export class WorkloadTooLargeError extends AugServeError {
  static override readonly code = "WORKLOAD_TOO_LARGE";
  override readonly name = "WorkloadTooLargeError";
  readonly source: string;
  /** What is too large: `"runs"`, `"run context tokens"`, `"workload tokens"` or `"workload tool calls"`. */
  readonly quantity: string;
  /** The bound. */
  readonly limit: number;
  /** The expected (or drawn) size. */
  readonly value: number;
  /** JSON paths of the fields that set the size, e.g. `["$.arrival.ratePerS", "$.durationS"]`. */
  readonly paths: string[];

  constructor(source: string, quantity: string, value: number, limit: number, paths: string[], advice = "") {
    const v = Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : String(value);
    super(
      `Workload ${source} would have ${v} ${quantity} (from ${paths.join(", ")}), above the bound of ` +
        `${limit.toLocaleString("en-US")}${advice ? `: ${advice}` : ""}`,
    );
    this.source = source;
    this.quantity = quantity;
    this.limit = limit;
    this.value = value;
    this.paths = paths;
  }
}
