/**
 * One pass over a prompt's text, shared by every extractor: lower-cased word tokens plus the punctuation
 * and line-structure counts the extractors need. Prompts can be long (a conversation's history, tool
 * outputs, pasted documents), so the scan is bounded: a prompt longer than {@link MAX_SCAN_CHARS} is read
 * at its head ({@link HEAD_CHARS}: a task stated up front) and its tail (the rest of the bound: the latest
 * user message, which is where a conversation's current request sits), never cut in the middle of a word.
 *
 * Unicode: text is NFKC-normalised (full-width letters, digits and punctuation become ASCII), accents are
 * stripped ("café" reads as "cafe"), letters of every script are word characters, and each CJK character
 * (Han, kana, Hangul) is a token of its own (those scripts write no spaces between words); the
 * ideographic comma and full stop count as a comma and a full stop.
 */

/** Characters of a prompt that are scanned for words. */
export const MAX_SCAN_CHARS = 4096;
/** Of {@link MAX_SCAN_CHARS}, the characters read at the head of a longer prompt (the rest at its tail). */
export const HEAD_CHARS = 1024;

/** Word tokens kept per prompt (after the character bound). */
export const MAX_WORDS = 1024;

export interface ScannedText {
  /**
   * Lower-cased tokens: runs of letters, runs of digits, one CJK character, one symbol among `+-*\/^=(),;`,
   * or `.` for a sentence end (`.` before a blank, `?`, `!`).
   */
  readonly tokens: string[];
  /** Length of the full (unbounded) text, characters. */
  readonly chars: number;
  readonly questionMarks: number;
  readonly commas: number;
  readonly semicolons: number;
  /** Lines that start like a list item: `-`, `*`, `•`, `1.`, `2)`, `a)`. */
  readonly bulletLines: number;
  /** Sentence ends: `.` followed by a blank or the end, `!`, `?` (each a request or a question). */
  readonly sentenceEnds: number;
  /** Capitalised words not at a sentence start (names: "Paris", "Apple"). */
  readonly capitalised: number;
  /** Quoted strings ("..."). */
  readonly quoted: number;
}

const UNICODE_LETTER = /\p{L}/u;
/** Han, Hiragana, Katakana, Hangul: scripts written without spaces, so one character is one token. */
function isCjk(c: number): boolean {
  return (
    (c >= 0x3040 && c <= 0x30ff) ||
    (c >= 0x3400 && c <= 0x4dbf) ||
    (c >= 0x4e00 && c <= 0x9fff) ||
    (c >= 0xac00 && c <= 0xd7af) ||
    (c >= 0xf900 && c <= 0xfaff)
  );
}
/** Character classes of the hand-written scanner (a regex-based one cost ~3x as much); ASCII first. */
function isLetter(c: number): boolean {
  if (c < 0x80) return c >= 97 && c <= 122;
  if (c === 0xd7 || c === 0xf7) return false;
  return (c >= 0xc0 && c <= 0x24f) || (!isCjk(c) && UNICODE_LETTER.test(String.fromCharCode(c)));
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
/** `+ - * / ^ = ( ) , ;`: kept as tokens so that numbers inside expressions are not read as counts. */
function isSymbol(c: number): boolean {
  return (
    c === 43 ||
    c === 45 ||
    c === 42 ||
    c === 47 ||
    c === 94 ||
    c === 61 ||
    c === 40 ||
    c === 41 ||
    c === 44 ||
    c === 59
  );
}

/** Does the line starting at `at` look like a list item (`-`, `*`, `•`, `1.`, `2)`, `a)`, then a blank)? */
function isBullet(text: string, at: number): boolean {
  let i = at;
  while (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9) i++;
  const c = text.charCodeAt(i);
  let next = i + 1;
  if (c === 45 || c === 42 || c === 0x2022) {
    // bullet mark
  } else if (isDigit(c)) {
    if (isDigit(text.charCodeAt(next))) next++;
    const mark = text.charCodeAt(next);
    if (mark !== 46 && mark !== 41) return false;
    next++;
  } else if (c >= 97 && c <= 104) {
    const mark = text.charCodeAt(next);
    if (mark !== 46 && mark !== 41) return false;
    next++;
  } else {
    return false;
  }
  const blank = text.charCodeAt(next);
  if (blank !== 32 && blank !== 9) return false;
  while (text.charCodeAt(next) === 32 || text.charCodeAt(next) === 9) next++;
  const after = text.charCodeAt(next);
  return !Number.isNaN(after) && after !== 10 && after !== 13;
}

const NON_ASCII = /[^\t\n\r\u0020-\u007e]/;
const MARKS = /\p{M}/gu;

/**
 * The part of a prompt that is scanned: all of it up to {@link MAX_SCAN_CHARS}, else its head and its tail
 * (each cut at a blank so no word is split), NFKC-normalised and without accents (case kept).
 */
export function scanWindow(raw: string): string {
  let text = raw;
  if (raw.length > MAX_SCAN_CHARS) {
    const headEnd = raw.lastIndexOf(" ", HEAD_CHARS);
    const tailStart = raw.indexOf(" ", raw.length - (MAX_SCAN_CHARS - HEAD_CHARS));
    text = `${raw.slice(0, headEnd > 0 ? headEnd : HEAD_CHARS)}\n${raw.slice(tailStart > 0 ? tailStart : raw.length - (MAX_SCAN_CHARS - HEAD_CHARS))}`;
  }
  if (!NON_ASCII.test(text)) return text;
  return text
    .normalize("NFKC")
    .replace(/\u3001/g, ",")
    .replace(/\u3002/g, ".")
    .normalize("NFD")
    .replace(MARKS, "")
    .normalize("NFC");
}

/**
 * Names and quoted values: capitalised words not at a sentence start ("Paris", "Apple Inc.") and quoted
 * strings. Each is often one argument of one call, so their number hints at parallel calls.
 */
function countNames(text: string): { capitalised: number; quoted: number } {
  let capitalised = 0;
  let quotes = 0;
  let sentenceStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) quotes++;
    if (c >= 65 && c <= 90) {
      const before = i === 0 ? 32 : text.charCodeAt(i - 1);
      if (before === 32 && !sentenceStart) capitalised++;
      sentenceStart = false;
    } else if (c === 46 || c === 63 || c === 33 || c === 10) sentenceStart = true;
    else if (c > 32) sentenceStart = false;
  }
  return { capitalised, quoted: quotes >> 1 };
}

/** Scans `text` once. Total: never throws, whatever the input. */
export function scanText(text: string): ScannedText {
  const raw = typeof text === "string" ? text : "";
  const window = scanWindow(raw);
  const { capitalised, quoted } = countNames(window);
  const lower = window.toLowerCase();
  const tokens: string[] = [];
  let questionMarks = 0;
  let commas = 0;
  let semicolons = 0;
  let sentenceEnds = 0;
  let bulletLines = isBullet(lower, 0) ? 1 : 0;
  let i = 0;
  const n = lower.length;
  while (i < n) {
    const c = lower.charCodeAt(i);
    if (c >= 0x3040 && isCjk(c)) {
      if (tokens.length < MAX_WORDS) tokens.push(lower[i]!);
      i++;
      continue;
    }
    if (isLetter(c) || isDigit(c)) {
      const letter = isLetter(c);
      let j = i + 1;
      while (j < n && (letter ? isLetter(lower.charCodeAt(j)) : isDigit(lower.charCodeAt(j)))) j++;
      if (tokens.length < MAX_WORDS) tokens.push(lower.slice(i, j));
      i = j;
      continue;
    }
    // "." ends a sentence before a blank, unless a numeral precedes it ("1. first item" is a bullet).
    const fullStop =
      c === 46 && (i + 1 >= n || lower.charCodeAt(i + 1) <= 32) && !isDigit(lower.charCodeAt(i - 1));
    if (c === 63 || c === 33 || fullStop) {
      // A sentence end is kept as a "." token: list and count readers must not run across sentences.
      sentenceEnds++;
      if (c === 63) questionMarks++;
      if (tokens.length < MAX_WORDS) tokens.push(".");
    } else if (c === 44) commas++;
    else if (c === 59) semicolons++;
    else if (c === 10 && isBullet(lower, i + 1)) bulletLines++;
    if (isSymbol(c) && tokens.length < MAX_WORDS) tokens.push(lower[i]!);
    i++;
  }
  return {
    tokens,
    chars: raw.length,
    questionMarks,
    commas,
    semicolons,
    bulletLines,
    sentenceEnds,
    capitalised,
    quoted,
  };
}

/** Splits an identifier such as `get_weather`, `searchWikipedia` or `text-to-speech` into lower-case words. */
export function identifierWords(name: string): string[] {
  return name
    .replace(/([a-z\d])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 1);
}

/**
 * A light stem, so that a prompt's "cities" meets a schema's "city" and "calculating" meets "calculate":
 * plural and verb endings are cut from words of 4+ letters. Not a linguistic stemmer: the same function
 * is applied to prompts and schemas, so it only has to map variants of a word to one key.
 */
export function stem(word: string): string {
  const n = word.length;
  if (n < 4) return word;
  if (n > 4 && word.endsWith("ies")) return `${word.slice(0, -3)}y`;
  if (n > 5 && word.endsWith("ing")) return dropE(word.slice(0, -3));
  if (n > 4 && word.endsWith("ed")) return dropE(word.slice(0, -2));
  if (
    n > 4 &&
    (word.endsWith("ses") || word.endsWith("xes") || word.endsWith("ches") || word.endsWith("shes"))
  )
    return word.slice(0, -2);
  if (word.endsWith("s") && !word.endsWith("ss") && !word.endsWith("us") && !word.endsWith("is"))
    return dropE(word.slice(0, -1));
  return dropE(word);
}

function dropE(word: string): string {
  return word.length > 4 && word.endsWith("e") ? word.slice(0, -1) : word;
}
