/** Reading and validating a benchmark results file, with errors that name every bad JSON path. */
import { readFile } from "node:fs/promises";
import type { ZodError } from "zod";
import { AugServeError, parseWith } from "../util/index.js";
import { type BenchResults, BenchResultsSchema } from "./schema.js";

/** One problem in a results file: where (`results[2].ttftMs.p50`, `(root)` for the whole file) and what. */
export interface BenchResultsProblem {
  path: string;
  message: string;
}

/**
 * A results file that is not valid JSON or does not match `BenchResultsSchema`. `problems` lists every bad path;
 * `cause` is the `ZodError` (or the `SyntaxError` of `JSON.parse`).
 */
export class BenchResultsError extends AugServeError {
  static override readonly code = "REPORT_INVALID_RESULTS";
  override readonly name = "BenchResultsError";
  /** The file read, or `undefined` for an in-memory object. */
  readonly source: string | undefined;
  readonly problems: readonly BenchResultsProblem[];

  constructor(source: string | undefined, problems: BenchResultsProblem[], options?: { cause?: unknown }) {
    const where = source === undefined ? "benchmark results" : `benchmark results file ${source}`;
    const list = problems.map((p) => `  - ${p.path}: ${p.message}`).join("\n");
    super(
      `Invalid ${where}: expected the JSON written by \`augserve bench --json\` (see docs/report.md); ` +
        `${problems.length} problem${problems.length === 1 ? "" : "s"}:\n${list}`,
      options,
    );
    this.source = source;
    this.problems = problems;
  }
}

/** `["results", 0, "ttftMs", "p50"]` -> `results[0].ttftMs.p50`. */
export function formatJsonPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(root)" : out;
}

function problemsOf(error: ZodError): BenchResultsProblem[] {
  return error.issues.map((issue) => ({ path: formatJsonPath(issue.path), message: issue.message }));
}

/**
 * Validates a parsed results object.
 * @param source the file it came from, named in the error message.
 * @throws {BenchResultsError} listing every bad path.
 * @example parseBenchResults(JSON.parse(text), "results.json")
 */
export function parseBenchResults(value: unknown, source?: string): BenchResults {
  return parseWith(
    BenchResultsSchema,
    value,
    (_, cause) => new BenchResultsError(source, problemsOf(cause), { cause }),
  );
}

/**
 * Reads and validates a results file.
 * @throws {BenchResultsError} when the file is not JSON or not a results file; file-system errors as they come.
 */
export async function readBenchResults(file: string): Promise<BenchResults> {
  const text = await readFile(file, "utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new BenchResultsError(
      file,
      [{ path: "(root)", message: `expected JSON, got a parse error: ${detail}` }],
      {
        cause: error,
      },
    );
  }
  return parseBenchResults(value, file);
}
