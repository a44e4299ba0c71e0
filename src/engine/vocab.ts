/**
 * The generated model's vocabulary: a SentencePiece ("llama") vocabulary of control tokens, the 256 byte
 * tokens (`<0x00>`..`<0xFF>`, so any UTF-8 text tokenizes by byte fallback), printable ASCII (space written
 * `▁`, as SentencePiece does) and a few hundred word pieces.
 *
 * Word pieces make English-like prompts cost about one token per 3-4 characters instead of one per
 * character. llama.cpp's SPM tokenizer merges adjacent symbols pairwise, highest score first, and only into
 * pieces that are in the vocabulary; so every word comes with all its prefixes (`▁d`, `▁da`, `▁dat`,
 * `▁data`), scored by length, and tokenizes left to right into the longest known word.
 */

/** llama.cpp's token types (`llama_token_type`). */
const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, BYTE: 6 } as const;

export const SPECIAL_TOKENS = { unknown: 0, bos: 1, eos: 2 } as const;

const WORDS = (
  "the of and to in is it that for on with as was at by this be are from or an have not but can we they " +
  "you all data tool call model query result value time first next step plan check found about more will " +
  "which there their when make like into over also then than these some would other could state answer " +
  "user assistant system weather city search name arguments function please what where how why who " +
  "number list file read write run order price status report error true false null find get set"
).split(" ");

export interface Vocabulary {
  tokens: string[];
  scores: Float32Array;
  types: Int32Array;
}

/** Builds the vocabulary (deterministic: no input). */
export function buildVocabulary(): Vocabulary {
  const tokens: string[] = ["<unk>", "<s>", "</s>"];
  const types: number[] = [TOKEN_TYPE.UNKNOWN, TOKEN_TYPE.CONTROL, TOKEN_TYPE.CONTROL];
  const scores: number[] = [0, 0, 0];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(TOKEN_TYPE.BYTE);
    scores.push(0);
  }
  const seen = new Set<string>();
  const add = (piece: string, score: number) => {
    if (seen.has(piece)) return;
    seen.add(piece);
    tokens.push(piece);
    types.push(TOKEN_TYPE.NORMAL);
    scores.push(score);
  };
  add("▁", -1000);
  for (let c = 0x21; c <= 0x7e; c++) add(String.fromCharCode(c), -1000);
  for (const word of WORDS) {
    for (const form of [word, word.charAt(0).toUpperCase() + word.slice(1)]) {
      const piece = `▁${form}`;
      for (let end = 2; end <= piece.length; end++) add(piece.slice(0, end), end);
    }
  }
  return { tokens, scores: Float32Array.from(scores), types: Int32Array.from(types) };
}
