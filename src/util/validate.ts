/**
 * Validation of option objects: one place that turns a `ZodError` into messages a user can act on.
 *
 * Option schemas are strict (`z.strictObject`): an unknown key is an error, never silently dropped, because a
 * typo such as `callTimeOutMs` would otherwise run with the default it meant to replace. When a known key is
 * one edit away (or differs only in case) the message says "did you mean".
 *
 * Every boundary goes through {@link parseWith}: options of every part, HTTP bodies, workload, results and
 * state files. It lives in util/ (a leaf: it imports nothing of the project) so that every part may import it.
 * Each part passes the error it throws; the `ZodError` is always its `cause`.
 */
import type { z } from "zod";

/** Largest delay a Node.js timer holds (2^31 - 1 ms, ~24.8 days); a larger one fires after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/** One validation problem, located and explained. */
export interface OptionIssue {
  /** Dotted path of the field, e.g. `budget.minTokens`; empty for the object itself. */
  path: string;
  /** What was expected and what came, e.g. ``expected number >= 0, got `-1` (number)``. */
  message: string;
}

/** `value` as a short, quoted description with its type, for error messages. */
export function describeValue(value: unknown): string {
  if (typeof value === "string")
    return `\`${JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value)}\` (string)`;
  if (value === undefined) return "`undefined`";
  if (value === null) return "`null`";
  if (typeof value === "function") return "a function";
  if (typeof value === "object") {
    let text: string;
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
    if (text.length > 80) text = `${text.slice(0, 77)}...`;
    return `\`${text}\` (${Array.isArray(value) ? "array" : "object"})`;
  }
  return `\`${String(value)}\` (${typeof value})`;
}

/** Levenshtein distance, stopping early once it exceeds `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      current.push(value);
      best = Math.min(best, value);
    }
    if (best > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length] as number;
}

/** The known key `key` was probably meant as: same letters in another case, or one edit away. */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const sameCase = known.find((k) => k.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  return known.find((k) => editDistance(key, k, 1) <= 1);
}

type AnySchema = z.ZodType & { _zod: { def: Record<string, unknown> } };

/** The keys the object schema at `path` (following `input` through unions) accepts, if it is an object. */
function knownKeysAt(schema: AnySchema, path: readonly PropertyKey[], input: unknown): string[] | undefined {
  let current: AnySchema | undefined = schema;
  let value = input;
  for (let depth = 0; current !== undefined && depth <= path.length + 16; ) {
    const def = current._zod.def;
    switch (def.type) {
      case "optional":
      case "nullable":
      case "default":
      case "prefault":
      case "readonly":
      case "catch":
      case "nonoptional":
        current = def.innerType as AnySchema;
        continue;
      case "pipe":
        current = def.in as AnySchema;
        continue;
      case "union": {
        const options = def.options as AnySchema[];
        const discriminator = def.discriminator as string | undefined;
        const record = value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
        current =
          options.find((option) => {
            const shape = (option._zod.def.shape as Record<string, AnySchema> | undefined) ?? undefined;
            if (!shape) return false;
            if (discriminator === undefined) return true;
            return shape[discriminator]?.safeParse(record[discriminator]).success === true;
          }) ?? options[0];
        continue;
      }
      case "object": {
        const shape = def.shape as Record<string, AnySchema>;
        if (depth === path.length) return Object.keys(shape);
        const key = path[depth] as string;
        current = shape[key];
        value =
          value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
        depth += 1;
        continue;
      }
      default:
        return undefined;
    }
  }
  return undefined;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    value =
      value !== null && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return value;
}

/** Every problem zod found in `input`, each with its path, what was expected and what came. */
export function describeIssues(schema: z.ZodType, error: z.ZodError, input: unknown): OptionIssue[] {
  const out: OptionIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      const known = knownKeysAt(schema as AnySchema, issue.path, input) ?? [];
      for (const key of issue.keys) {
        const suggestion = suggestKey(key, known);
        const where = [...path, key].join(".");
        out.push({
          path: where,
          message:
            `unknown option \`${key}\`` +
            (suggestion !== undefined
              ? `; did you mean \`${suggestion}\`?`
              : known.length > 0
                ? `; expected one of ${known.map((k) => `\`${k}\``).join(", ")}`
                : ""),
        });
      }
      continue;
    }
    out.push({
      path: path.join("."),
      message: `${issue.message}, got ${describeValue(valueAt(input, issue.path))}`,
    });
  }
  return out;
}

/** Issues as `path: message` lines, `root` standing for an empty path (the object itself). */
export function issueLines(issues: readonly OptionIssue[], root = "(options)"): string[] {
  return issues.map((issue) => `${issue.path || root}: ${issue.message}`);
}

/**
 * zod's own issues as `path: message` lines (no value quoted, no "did you mean"), for errors whose messages
 * predate {@link describeIssues} or that are built from a hand-made `ZodError`.
 */
export function zodIssueLines(error: z.ZodError, root = "(root)"): string[] {
  return error.issues.map((issue) => `${issue.path.join(".") || root}: ${issue.message}`);
}

/**
 * The `path: message` lines of an options error: `issues` as {@link parseWith} described them when given,
 * else zod's own issues of `cause` (a hand-made `ZodError`, or a caller that predates `parseWith`).
 * `root` stands for an empty path in both.
 */
export function optionIssueLines(
  cause: z.ZodError,
  issues: readonly OptionIssue[] | undefined,
  root: string,
): string[] {
  return issues === undefined ? zodIssueLines(cause, root) : issueLines(issues, root);
}

/**
 * Parses `input` with `schema`; on failure calls `fail` with the described issues (first one first, unknown
 * keys with a "did you mean") and the `ZodError`, and throws what it returns. Each part passes its own named
 * error class, which keeps the `ZodError` as its `cause`.
 *
 * @example
 * ```ts
 * const o = parseWith(PredictorOptionsSchema, options, (issues, cause) =>
 *   new PredictorOptionsError(issueLines(issues, "(root)"), cause));
 * ```
 */
export function parseWith<S extends z.ZodType>(
  schema: S,
  input: unknown,
  fail: (issues: OptionIssue[], cause: z.ZodError) => Error,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw fail(describeIssues(schema, result.error, input), result.error);
}

/**
 * Parses the options object of a part's entry point (`undefined` stands for `{}`: every default) with
 * {@link parseWith}, throwing `new OptionsErrorClass(lines, cause)` on failure: one `path: message` line per
 * problem, `(root)` for the object itself, and the `ZodError` as `cause`.
 *
 * @example
 * ```ts
 * const o = parseOptionsWith(PredictorOptionsSchema, options, PredictorOptionsError);
 * ```
 */
export function parseOptionsWith<S extends z.ZodType>(
  schema: S,
  options: unknown,
  OptionsErrorClass: new (issues: readonly string[], cause: z.ZodError) => Error,
): z.output<S> {
  return parseWith(
    schema,
    options ?? {},
    (issues, cause) => new OptionsErrorClass(issueLines(issues, "(root)"), cause),
  );
}
