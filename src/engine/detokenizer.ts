/**
 * Streaming detokenization that never splits a multi-byte character.
 *
 * A byte-fallback vocabulary spells a non-ASCII character as 2-4 byte tokens; each alone detokenizes to
 * U+FFFD. The decoder holds tokens back while their text ends in an incomplete UTF-8 sequence (shown as a
 * trailing U+FFFD) and releases them with the token that completes it, as llama.cpp's server does
 * (`validate_utf8`). A run of more than 4 held tokens cannot be one character: it is released as it is.
 */
import type { LlamaModel, Token } from "./llama.js";

const REPLACEMENT = "\uFFFD";
/** Longest UTF-8 sequence: more held tokens than this can only be invalid bytes. */
const MAX_HELD = 4;

export class StreamingDetokenizer {
  #model: Pick<LlamaModel, "detokenize">;
  #held: Token[] = [];
  /** The last released tokens, so that the detokenizer handles leading spaces as in context. */
  #previous: Token[] = [];

  constructor(model: Pick<LlamaModel, "detokenize">) {
    this.#model = model;
  }

  /** Text released by one more token ("" while a character is incomplete). */
  push(token: Token): string {
    this.#held.push(token);
    const text = this.#model.detokenize(this.#held, false, this.#previous);
    if (text.endsWith(REPLACEMENT) && this.#held.length < MAX_HELD) return "";
    return this.#release(text);
  }

  /** Whatever is still held, at the end of the stream. */
  flush(): string {
    if (this.#held.length === 0) return "";
    return this.#release(this.#model.detokenize(this.#held, false, this.#previous));
  }

  #release(text: string): string {
    this.#previous = [...this.#previous, ...this.#held].slice(-MAX_HELD);
    this.#held = [];
    return text;
  }
}
