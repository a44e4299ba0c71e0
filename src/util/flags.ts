/**
 * Flag parsing for the command-line entry points (`augserve demo`, the `bench:*` scripts): one place that turns
 * a bad flag into the line a user reads and exit code 2.
 */
import type { z } from "zod";
import { OptionsError } from "./errors.js";
import { parseWith, zodIssueLines } from "./validate.js";

/**
 * Parses `values` (flags as `node:util` `parseArgs` or commander give them) with `schema`. On bad flags writes
 * `<command>: <problem>; <problem>` to stderr, sets `process.exitCode` to 2 and returns `undefined`; the
 * caller returns. Each problem is zod's own message by default (flags are strings turned into numbers and
 * lists, so zod's message says what came); `describe` writes it otherwise.
 */
export function parseFlagsOrExit<S extends z.ZodType>(
  command: string,
  schema: S,
  values: unknown,
  describe: (issue: z.core.$ZodIssue) => string = (issue) => issue.message,
): z.output<S> | undefined {
  try {
    return parseWith(schema, values, (_, cause) => {
      const problems = cause.issues.map(describe);
      return new OptionsError(problems.join("; "), zodIssueLines(cause), { cause });
    });
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    process.stderr.write(`${command}: ${error.message}\n`);
    process.exitCode = 2;
    return undefined;
  }
}
