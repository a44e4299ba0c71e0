/**
 * Parsers of the bench's command-line flags, shared by `augserve bench` and the multi-replica flags spread
 * into it: commander hands every value over as a string, these turn it into lists and numbers.
 */
import { z } from "zod";

/** A comma-separated flag as its trimmed, non-empty items (`"a, b,"` is `["a", "b"]`). */
export const commaSeparated = z.string().transform((s) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x.length > 0),
);

/**
 * A numeric flag: its value as a number when `accept` holds for it, else the issue
 * `expected <what>, got "<text>"` (an empty or blank value is never a number).
 */
export function numberFlag(what: string, accept: (n: number) => boolean = Number.isFinite) {
  return z.string().transform((s, ctx) => {
    const n = Number(s);
    if (s.trim() === "" || !accept(n)) {
      ctx.addIssue({ code: "custom", message: `expected ${what}, got "${s}"` });
      return z.NEVER;
    }
    return n;
  });
}
