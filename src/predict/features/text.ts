/**
 * One pass over a prompt's text, shared by every extractor: lower-cased word tokens plus the punctuation
 * and line-structure counts the extractors need. Prompts can be long (tool outputs, pasted documents),
 * so the scan is bounded to {@link MAX_SCAN_CHARS} characters: the part of a prompt that states the task
 * is nearly always at its start, and a bound keeps prediction in microseconds.
 */

/** Characters of a prompt that are scanned for words. */
export const MAX_SCAN_CHARS = 4096;

/** Word tokens kept per prompt (after the character bound). */
export const MAX_WORDS = 512;

export interface ScannedText {
  /** Lower-cased tokens: runs of letters, runs of digits, or one symbol among `+-*\/^=(),;`. */
  readonly tokens: string[];
  /** Length of the full (unbounded) text, characters. */
  readonly chars: number;
  readonly questionMarks: number;
  readonly commas: number;
  readonly semicolons: number;
  /** Lines that start like a list item: `-`, `*`, `•`, `1.`, `2)`, `a)`. */
  readonly bulletLines: number;
}

/** Character classes of the hand-written scanner (a regex-based one cost ~3x as much). */
function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7);
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

/** Scans `text` once. Total: never throws, whatever the input. */
export function scanText(text: string): ScannedText {
  const raw = typeof text === "string" ? text : "";
  const lower = (raw.length > MAX_SCAN_CHARS ? raw.slice(0, MAX_SCAN_CHARS) : raw).toLowerCase();
  const tokens: string[] = [];
  let questionMarks = 0;
  let commas = 0;
  let semicolons = 0;
  let bulletLines = isBullet(lower, 0) ? 1 : 0;
  let i = 0;
  const n = lower.length;
  while (i < n) {
    const c = lower.charCodeAt(i);
    if (isLetter(c) || isDigit(c)) {
      const letter = isLetter(c);
      let j = i + 1;
      while (j < n && (letter ? isLetter(lower.charCodeAt(j)) : isDigit(lower.charCodeAt(j)))) j++;
      if (tokens.length < MAX_WORDS) tokens.push(lower.slice(i, j));
      i = j;
      continue;
    }
    if (c === 63) questionMarks++;
    else if (c === 44) commas++;
    else if (c === 59) semicolons++;
    else if (c === 10 && isBullet(lower, i + 1)) bulletLines++;
    if (isSymbol(c) && tokens.length < MAX_WORDS) tokens.push(lower[i]!);
    i++;
  }
  return { tokens, chars: raw.length, questionMarks, commas, semicolons, bulletLines };
}

/** Splits an identifier such as `get_weather`, `searchWikipedia` or `text-to-speech` into lower-case words. */
export function identifierWords(name: string): string[] {
  return name
    .replace(/([a-z\d])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z\d\u00c0-\u024f]+/)
    .filter((word) => word.length > 1);
}
