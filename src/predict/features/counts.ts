/**
 * Extractors for how many things a prompt asks for. "Compute these three expressions", "look up 5 cities",
 * a bulleted list or "a, b and c" each tell how many tool calls the agent is about to make; they are the
 * strongest cold-start signal there is for the number of tool rounds.
 */
import type { ScannedText } from "./text.js";

const NUMBER_WORDS = new Map<string, number>(
  Object.entries({
    one: 1,
    two: 2,
    three: 3,
    four: 4,
    five: 5,
    six: 6,
    seven: 7,
    eight: 8,
    nine: 9,
    ten: 10,
    eleven: 11,
    twelve: 12,
    thirteen: 13,
    fourteen: 14,
    fifteen: 15,
    sixteen: 16,
    seventeen: 17,
    eighteen: 18,
    nineteen: 19,
    twenty: 20,
    thirty: 30,
    forty: 40,
    fifty: 50,
    single: 1,
    both: 2,
    pair: 2,
    couple: 2,
    few: 3,
    several: 3,
    dozen: 12,
  }),
);

const ORDINALS = new Map<string, number>(
  Object.entries({
    first: 1,
    second: 2,
    third: 3,
    fourth: 4,
    fifth: 5,
    sixth: 6,
    seventh: 7,
    eighth: 8,
    ninth: 9,
    tenth: 10,
  }),
);

/** Words that follow a number without making it a count of things ("2 and 3", "5 of them" is kept). */
const NOT_A_NOUN = new Set([
  "and",
  "or",
  "to",
  "is",
  "are",
  "was",
  "plus",
  "minus",
  "times",
  "x",
  "than",
  "by",
]);
const OPERATOR = new Set(["+", "-", "*", "/", "^", "=", "(", ")", "x", ",", ";"]);

/**
 * Words after a number that make it a quantity (a measure, a duration, a size, a limit), not a count of
 * things to do: "50 kilometers", "20 minutes", "the last 20 lines", "a limit of 50 items".
 */
const UNITS = new Set(
  (
    "km kilometer kilometers kilometre kilometres mile miles meter meters metre metres m cm mm ft feet foot inch inches yard yards " +
    "kg g gram grams lb lbs pound pounds ounce ounces oz ton tons tonnes liter liters litre litres ml gallon gallons " +
    "second seconds sec secs minute minutes min mins hour hours hr hrs day days week weeks month months year years decade decades " +
    "percent pct degree degrees celsius fahrenheit kelvin dollar dollars usd eur euro euros gbp cents cent yen " +
    "line lines item items result results row rows record records page pages word words character characters char chars " +
    "byte bytes kb mb gb tb mbps gbps hz khz mhz ghz watt watts kw kwh volt volts amp amps ohm ohms tesla newton newtons joule joules " +
    "unit units times percentage point points star stars digit digits decimal decimals sqft acres acre mph kmh rpm am pm th st nd rd"
  ).split(" "),
);
/** Words just before a number that make it a limit or a position, not a count of tasks ("the last 20"). */
const QUANTITY_CONTEXT = new Set(
  "last first top next previous past limit limited max maximum min minimum least most within over under above below around about approximately nearly almost per every age aged size length height width radius depth".split(
    " ",
  ),
);
/** Words just before a number that make it a count of things to handle ("these 3", "the following 4"). */
const COUNT_CONTEXT = new Set(["these", "those", "following", "all", "each", "both"]);

/** Largest count an extractor reports: beyond it a number is a quantity, not a count of steps. */
export const MAX_COUNT = 50;
/** Largest numeral read as a count without a word such as "these" before it ("look up 5 cities"). */
export const PLAIN_COUNT_MAX = 12;

/** Value of a token as a small count, or `undefined`. Numerals above {@link MAX_COUNT} are not counts. */
export function countValue(token: string): number | undefined {
  const word = NUMBER_WORDS.get(token);
  if (word !== undefined) return word;
  if (token.length <= 2 && token.charCodeAt(0) >= 48 && token.charCodeAt(0) <= 57) {
    const n = Number(token);
    return n >= 1 && n <= MAX_COUNT ? n : undefined;
  }
  return undefined;
}

export interface CountMention {
  /** The count, e.g. 3 for "three" or "3". */
  value: number;
  /** Index in `tokens` of the count word. */
  at: number;
  /** Written as an explicit count of things to handle: "these 4", "the following 3", "all 5". */
  explicit: boolean;
}

/** Is the number at `i` a quantity (a measure, a limit, a position) rather than a count of things to do? */
export function isQuantity(tokens: readonly string[], i: number, value: number): boolean {
  const next = tokens[i + 1];
  if (next !== undefined && UNITS.has(next)) return true;
  const before = tokens[i - 1];
  const twoBefore = tokens[i - 2];
  if (before !== undefined && COUNT_CONTEXT.has(before)) return false;
  if (before !== undefined && QUANTITY_CONTEXT.has(before)) return true;
  // "a limit of 50", "a radius of 3", "at most 4"
  if (
    (before === "of" || before === "to" || before === "most") &&
    twoBefore !== undefined &&
    (QUANTITY_CONTEXT.has(twoBefore) || twoBefore === "up" || twoBefore === "at")
  )
    return true;
  const numeral = tokens[i]!.charCodeAt(0) <= 57;
  return numeral && value > PLAIN_COUNT_MAX;
}

/**
 * Numbers written as numerals or words that count something: followed by a word that is not a connective
 * nor a unit, not a limit or a position ({@link isQuantity}), and not part of an arithmetic expression
 * ("(3+4)*2" yields nothing). `quantitiesAsCounts` reads quantities as counts too (the reader issue 11
 * measured workloads' hints with, before {@link isQuantity}).
 */
export function countMentions(text: ScannedText, quantitiesAsCounts = false): CountMention[] {
  const out: CountMention[] = [];
  const tokens = text.tokens;
  for (let i = 0; i < tokens.length; i++) {
    const value = countValue(tokens[i]!);
    if (value === undefined) continue;
    const previous = tokens[i - 1];
    const next = tokens[i + 1];
    if (previous !== undefined && OPERATOR.has(previous)) continue;
    if (next === undefined || OPERATOR.has(next) || NOT_A_NOUN.has(next)) continue;
    if (next.charCodeAt(0) < 97 && next !== "(") continue; // a numeral after a number: "3 4" is data.
    if (!quantitiesAsCounts && isQuantity(tokens, i, value)) continue;
    out.push({ value, at: i, explicit: previous !== undefined && COUNT_CONTEXT.has(previous) });
  }
  return out;
}

/** Ordinal enumerations ("first ... second ... third"): the highest ordinal used, 0 if none. */
export function highestOrdinal(text: ScannedText): number {
  let highest = 0;
  for (const token of text.tokens) {
    const n = ORDINALS.get(token);
    if (n !== undefined && n > highest) highest = n;
  }
  return highest;
}

export interface ListShape {
  /** Lines that look like list items (bullets or numbered). */
  bulletLines: number;
  /** Comma- or semicolon-separated items (separators + 1 when any separator occurs). */
  separatedItems: number;
  /** Occurrences of "and" (the last item of a list, or a second task). */
  ands: number;
}

/**
 * List items: bullets, commas and semicolons, and "and"s. Each item is often one tool call.
 * "a, b and c" is three items: an "and" after the last separator, not right after it, adds one.
 */
export function listShape(text: ScannedText): ListShape {
  let ands = 0;
  let lastSeparator = -1;
  let andAfterSeparator = false;
  const tokens = text.tokens;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === "," || token === ";") {
      lastSeparator = i;
      andAfterSeparator = false;
    } else if (token === "and") {
      ands++;
      if (lastSeparator >= 0 && lastSeparator !== i - 1) andAfterSeparator = true;
    }
  }
  const separators = text.commas + text.semicolons;
  const separatedItems = separators > 0 ? separators + 1 + (andAfterSeparator ? 1 : 0) : 0;
  return { bulletLines: text.bulletLines, separatedItems, ands };
}
