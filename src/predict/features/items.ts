/**
 * Parallel items: the things a prompt asks the same thing about. "The weather in Paris, Rome and Berlin"
 * is three calls of one tool, issued together in one round; "for 5 and 10 seconds respectively" two. The
 * cues are the shape of a coordinated list (short segments joined by commas and "and"), words that
 * distribute a request over items ("respectively", "each", "both"), separate requests joined by "also",
 * and how many values the prompt gives.
 */
import { isQuantity } from "./counts.js";
import type { ScannedText } from "./text.js";

/** A coordinated segment longer than this many tokens is a clause, not a list item. */
const MAX_ITEM_TOKENS = 5;

const ADDITIVE = new Set([
  "also",
  "additionally",
  "plus",
  "another",
  "besides",
  "moreover",
  "same",
  "again",
  "repeat",
]);
const DISTRIBUTIVE = new Set(["respectively", "each", "both", "every", "all", "individually", "separately"]);
/** "between 1 and 1000", "from A to B": an "and" that joins the ends of one range, not two items. */
const RANGE_OPENERS = new Set(["between", "from"]);

export interface ParallelItems {
  /** Items of the longest coordinated list of short segments ("Paris, Rome and Berlin": 3), 1 if none. */
  listItems: number;
  /** Words that add a separate request ("also", "additionally"). */
  additive: number;
  /** Words that distribute a request over items ("respectively", "each", "both"). */
  distributive: number;
  /** Numbers the prompt gives that are values (not part of an expression), up to 64. */
  values: number;
  /** Of those, the ones that are counts of things to do rather than quantities. */
  counts: number;
}

function isJoiner(token: string): boolean {
  return token === "," || token === ";" || token === "and" || token === "or";
}

/** Finds the parallel-item cues of a scanned prompt. */
export function parallelItems(text: ScannedText): ParallelItems {
  const tokens = text.tokens;
  let listItems = 1;
  let chain = 1;
  let segment = 0;
  let rangeOpen = false;
  let additive = 0;
  let distributive = 0;
  let values = 0;
  let counts = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (ADDITIVE.has(token)) additive++;
    else if (DISTRIBUTIVE.has(token)) distributive++;
    if (RANGE_OPENERS.has(token)) rangeOpen = true;
    const c = token.charCodeAt(0);
    if (c >= 48 && c <= 57 && values < 64) {
      values++;
      if (!isQuantity(tokens, i, Number(token))) counts++;
    }
    if (isJoiner(token)) {
      if (token === "and" && rangeOpen) {
        rangeOpen = false;
        segment++;
        continue;
      }
      // The segment before this joiner: a short one extends the chain, a long one starts a new chain
      // (its own last words may be the list's first item: "weather in Paris, Rome and Berlin").
      if (segment > 0) chain = segment <= MAX_ITEM_TOKENS ? chain + 1 : 2;
      segment = 0;
      continue;
    }
    if (token === ".") {
      chain = 1;
      segment = 0;
      continue;
    }
    segment++;
    if (segment > MAX_ITEM_TOKENS && chain > 1) {
      // The last item may be long ("... and Berlin over the next week"): the chain ends here.
      if (chain > listItems) listItems = chain;
      chain = 1;
    }
    if (chain > listItems && segment > 0) listItems = chain;
  }
  return { listItems, additive, distributive, values, counts };
}
