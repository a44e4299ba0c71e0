/**
 * Deterministic filler text of an exact token count under the simulator's tokenizer.
 *
 * Every piece is exactly one token and pieces never merge across boundaries: words of at most 5 letters with
 * a leading space (the tokenizer cuts pieces, space included, at 6 characters), and lone punctuation.
 * So `n` pieces tokenize to `n` tokens.
 */
import { mulberry32 } from "../util/prng.js";

const WORDS = (
  "the of and to in is it that for on with as was at by this be are from or an have not but can we they " +
  "you all data tool call model query result value time first next step plan check found about more will " +
  "which there their when make like into over also then than these some would other could state answer"
)
  .split(" ")
  .filter((word) => word.length <= 5);

/** Seed from a string and a number (FNV-1a), for per-conversation, per-round text. */
export function textSeed(seed: number, key: string, round: number): number {
  let hash = (0x811c9dc5 ^ seed ^ Math.imul(round + 1, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** `count` one-token pieces of prose-like text (the first without a leading space), deterministic in `seed`. */
export function textPieces(count: number, seed: number): string[] {
  const random = mulberry32(seed);
  const out: string[] = new Array(count);
  let sinceStop = 0;
  for (let i = 0; i < count; i++) {
    // A sentence ends every ~12 tokens (not as the first piece, nor twice in a row).
    if (sinceStop > 4 && random() < 0.09 && i > 0) {
      out[i] = random() < 0.75 ? "." : ",";
      sinceStop = 0;
      continue;
    }
    const word = WORDS[Math.floor(random() * WORDS.length)] as string;
    out[i] = i === 0 ? word.charAt(0).toUpperCase() + word.slice(1) : ` ${word}`;
    sinceStop++;
  }
  return out;
}
