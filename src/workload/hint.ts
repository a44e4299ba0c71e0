/**
 * What a generated prompt says about the work ahead: a realistic, noisy hint, never the answer (issue 11,
 * DESIGN.md section 6).
 *
 * A user who writes "I have 3 expressions to work out" or "let's make four drawings" states a count that
 * is related to what the agent will do, but not equal to its tool rounds: the agent retries, verifies,
 * batches, or asks back; the user miscounts or gives no number at all. So:
 * - `{n}` is the run's **stated count**. With probability `countHint.stated` it is a number, else a vague
 *   word ("several", or the template's own alternatives `{n|a few|some}`). A stated number equals the true
 *   count of what `countHint.of` names (tool rounds, all tool calls, or the calls of one tool) with
 *   probability `countHint.exact`; otherwise it is off by 1 or 2 (never equal). So at most
 *   `stated x exact` of a class's prompts carry its exact count, and only when `of` is `"rounds"`.
 * - `{items}` lists `itemCount` items drawn without replacement, independently of the run's length (no
 *   cycling to a length): examples of the task, not a plan of it.
 * The signal each shipped class carries is measured (`measureHintSignal`, bench:predict, docs/workloads.md).
 */
import { z } from "zod";
import type { Rng } from "./rng.js";
import type { RunScript } from "./types.js";

/** How a class's prompts state a count (schema of `classes[].countHint`). */
export const CountHintSchema = z.strictObject({
  /**
   * What the stated count counts: `"rounds"` (tool rounds), `"calls"` (all tool calls) or a tool name of the
   * class (that tool's calls: "four drawings" counts image calls, not the user turns between them).
   * @default "rounds"
   */
  of: z.string().min(1).default("rounds"),
  /** Probability that `{n}` is written as a number (else a vague word). [0, 1]. @default 0.5 */
  stated: z.number().min(0).max(1).default(0.5),
  /** Probability that a written number is the exact count (else off by 1 or 2). [0, 1]. @default 0.3 */
  exact: z.number().min(0).max(1).default(0.3),
});
export type CountHint = z.output<typeof CountHintSchema>;

/** The hint of a class without `countHint`. */
export const DEFAULT_COUNT_HINT: CountHint = CountHintSchema.parse({});

/** English number words 0-20: what `{n}` may be written as (and what the hint-signal reader looks for). */
export const NUMBER_WORDS: readonly string[] = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
  "thirteen",
  "fourteen",
  "fifteen",
  "sixteen",
  "seventeen",
  "eighteen",
  "nineteen",
  "twenty",
];

/** `n` as a word when there is one (0-20), else as a numeral. */
export function numberWord(n: number): string {
  return NUMBER_WORDS[n] ?? String(n);
}

/** Vague words for `{n}` when the template gives no alternatives. */
const VAGUE = ["several", "a few", "some"];

/** Misstatements of a count: off by -2, -1, +1 or +2, the near ones three times as likely. */
const OFFSETS = [-2, -1, 1, 2];
const OFFSET_WEIGHTS = [1, 3, 3, 1];

/** The true count a hint is about, read from the run's script. */
export function hintTruth(of: string, script: RunScript): number {
  if (of === "rounds") return script.rounds.length;
  let calls = 0;
  for (const round of script.rounds)
    for (const call of round.calls) if (of === "calls" || call.tool === of) calls++;
  return calls;
}

/**
 * The stated count for a true count, or `undefined` when the prompt states none. A true count of 0 is
 * never stated ("make zero drawings" is not a request).
 */
export function statedCount(truth: number, hint: CountHint, rng: Rng): number | undefined {
  const writes = rng.next() < hint.stated;
  const exact = rng.next() < hint.exact;
  const offset = OFFSETS[rng.weighted(OFFSET_WEIGHTS)] as number;
  if (!writes || truth < 1) return undefined;
  if (exact) return truth;
  // Off by `offset`, mirrored when that would state less than one thing.
  return truth + offset >= 1 ? truth + offset : truth - offset;
}

/** `count` items drawn without replacement (at most all of them), in drawn order. */
export function drawItems(items: readonly string[], count: number, rng: Rng): string[] {
  const deck = [...items];
  const out: string[] = [];
  for (let i = 0; i < Math.min(count, items.length); i++)
    out.push(deck.splice(Math.floor(rng.next() * deck.length), 1)[0] as string);
  return out;
}

/** Items as a person lists them: "a", "a and b", "a, b and c", or "a; b; c" (one style per prompt). */
export function joinItems(items: readonly string[], rng: Rng): string {
  const semicolons = rng.next() < 0.3;
  if (items.length <= 1) return items[0] ?? "";
  if (semicolons) return items.join("; ");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

const N_PLACEHOLDER = /\{n(?:\|([^}]*))?\}/g;

/**
 * Renders a template: `{n}` (or `{n|alt|...}`) as the stated count, a numeral or a word (a coin flip), or
 * as a vague alternative when none is stated; `{items}` as the joined items. An empty alternative drops
 * the placeholder (double spaces collapse).
 */
export function renderTemplate(
  template: string,
  stated: number | undefined,
  items: readonly string[],
  rng: Rng,
): string {
  const asWord = rng.next() < 0.5;
  const vagueAt = rng.next();
  const joined = template.includes("{items}") ? joinItems(items, rng) : "";
  const text = template.replace(N_PLACEHOLDER, (_match, alternatives: string | undefined) => {
    if (stated !== undefined) return asWord ? numberWord(stated) : String(stated);
    const choices = alternatives === undefined ? VAGUE : alternatives.split("|");
    return choices[Math.floor(vagueAt * choices.length)] ?? "";
  });
  return text
    .replaceAll("{items}", joined)
    .replace(/ {2,}/g, " ")
    .replace(/ ([.,;:!?])/g, "$1");
}
