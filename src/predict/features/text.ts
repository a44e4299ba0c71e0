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

// Letters (Latin and accented), digit runs, or an arithmetic-ish symbol (kept so that numbers inside
// expressions such as "(3+4)*2" are not read as counts).
const TOKEN = /[a-z\u00c0-\u024f]+|\d+|[+\-*/^=(),;]/g;
const BULLET = /^[ \t]*(?:[-*\u2022]|\d{1,2}[.)]|[a-h][.)])[ \t]+\S/gm;

function countChar(text: string, char: number): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === char) count++;
  return count;
}

/** Scans `text` once. Total: never throws, whatever the input. */
export function scanText(text: string): ScannedText {
  const raw = typeof text === "string" ? text : "";
  const bounded = raw.length > MAX_SCAN_CHARS ? raw.slice(0, MAX_SCAN_CHARS) : raw;
  const lower = bounded.toLowerCase();
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(lower); m !== null && tokens.length < MAX_WORDS; m = TOKEN.exec(lower)) {
    tokens.push(m[0]);
  }
  BULLET.lastIndex = 0;
  let bulletLines = 0;
  while (BULLET.exec(bounded) !== null) bulletLines++;
  return {
    tokens,
    chars: raw.length,
    questionMarks: countChar(bounded, 63),
    commas: countChar(bounded, 44),
    semicolons: countChar(bounded, 59),
    bulletLines,
  };
}

/** Splits an identifier such as `get_weather`, `searchWikipedia` or `text-to-speech` into lower-case words. */
export function identifierWords(name: string): string[] {
  return name
    .replace(/([a-z\d])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z\d\u00c0-\u024f]+/)
    .filter((word) => word.length > 1);
}
