/**
 * The simulator's tokenizer: text -> integer token ids, deterministic, with no vocabulary file.
 *
 * Why not a real BPE: the simulator needs token *counts* that behave like a real tokenizer's (about
 * 0.75 words per token on English, digits and punctuation split) and token *ids* such that two texts
 * sharing a prefix share a token prefix (so the prefix cache behaves as vLLM's does). Word pieces hashed
 * with FNV-1a give both at no cost. Counts land within ~15% of Llama-3's tokenizer on English prose.
 */

/** Vocabulary size of the simulated ids (Llama-3's). */
export const VOCAB_SIZE = 128_256;

/** Special token ids of the simulated chat template (outside the hashed range's typical use, but any id works). */
export const SPECIAL = {
  beginOfText: 128_000,
  startHeader: 128_006,
  endHeader: 128_007,
  endOfTurn: 128_009,
} as const;

// Words (with their leading space, as BPE merges it), up to 3 digits at a time (as Llama-3 splits numbers),
// or a single other symbol.
const PIECE = /\s?[A-Za-z]+|\s?\d{1,3}|\s?[^\sA-Za-z\d]|\s+/g;
/** Long words are split into pieces of this many characters, approximating BPE sub-words. */
const MAX_PIECE_CHARS = 6;

function fnv1a(text: string, from: number, to: number): number {
  let hash = 0x811c9dc5;
  for (let i = from; i < to; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % 128_000;
}

/**
 * Appends the token ids of `text` to `out`, stopping once `out` holds more than `maxLength` ids (so that a
 * server bounds its work by the model length, not by the body size). @default maxLength Infinity
 */
export function tokenizeInto(text: string, out: number[], maxLength = Number.POSITIVE_INFINITY): void {
  PIECE.lastIndex = 0;
  for (let match = PIECE.exec(text); match !== null; match = PIECE.exec(text)) {
    const start = match.index;
    const end = start + match[0].length;
    for (let at = start; at < end; at += MAX_PIECE_CHARS) {
      if (out.length > maxLength) return;
      out.push(fnv1a(text, at, Math.min(end, at + MAX_PIECE_CHARS)));
    }
  }
}

/** Token ids of `text`. */
export function tokenize(text: string): number[] {
  const out: number[] = [];
  tokenizeInto(text, out);
  return out;
}

/** Number of tokens of `text` (same as `tokenize(text).length`, without the array). */
export function countTokens(text: string): number {
  let count = 0;
  PIECE.lastIndex = 0;
  for (let match = PIECE.exec(text); match !== null; match = PIECE.exec(text)) {
    count += Math.ceil(match[0].length / MAX_PIECE_CHARS);
  }
  return count;
}

/** A chat message as the simulator's chat template sees it. */
export interface TemplateMessage {
  role: string;
  /** Text content; for assistant tool calls, the calls rendered as JSON text. */
  content: string;
}

/**
 * Token ids of a conversation under a Llama-3-like chat template:
 * `<bot>` then, per message, `<start_header> role <end_header> content <eot>`, and the tool schemas rendered
 * as JSON inside the first (system) turn. Shared message prefixes give shared token prefixes.
 * With `maxLength`, rendering stops once more than `maxLength` ids are out (the result is then a prefix of
 * the conversation's ids, longer than `maxLength`). @default maxLength Infinity
 */
export function renderConversation(
  messages: readonly TemplateMessage[],
  toolsJson?: string,
  maxLength = Number.POSITIVE_INFINITY,
): number[] {
  const out: number[] = [SPECIAL.beginOfText];
  let toolsPending = toolsJson !== undefined && toolsJson.length > 0;
  const emit = (role: string, content: string) => {
    out.push(SPECIAL.startHeader);
    tokenizeInto(role, out, maxLength);
    out.push(SPECIAL.endHeader);
    tokenizeInto(content, out, maxLength);
    out.push(SPECIAL.endOfTurn);
  };
  for (const message of messages) {
    if (out.length > maxLength) return out;
    if (toolsPending && message.role !== "system") {
      emit("system", toolsJson ?? "");
      toolsPending = false;
    }
    const content = toolsPending ? `${message.content}\n${toolsJson}` : message.content;
    if (message.role === "system") toolsPending = false;
    emit(message.role, content);
  }
  if (toolsPending) emit("system", toolsJson ?? "");
  // The generation prompt: the assistant header the model continues from.
  out.push(SPECIAL.startHeader);
  tokenizeInto("assistant", out);
  out.push(SPECIAL.endHeader);
  return out;
}

/** Tokens the chat template adds around one message (start header, role, end header, end of turn). */
export const TEMPLATE_TOKENS_PER_MESSAGE = 4;

/**
 * The text of each token of `text`, in order: `tokenPieces(t).join("") === t` and
 * `tokenPieces(t).length === countTokens(t)`. Used to stream text one token at a time.
 */
export function tokenPieces(text: string): string[] {
  const out: string[] = [];
  PIECE.lastIndex = 0;
  for (let match = PIECE.exec(text); match !== null; match = PIECE.exec(text)) {
    const piece = match[0];
    for (let at = 0; at < piece.length; at += MAX_PIECE_CHARS)
      out.push(piece.slice(at, at + MAX_PIECE_CHARS));
  }
  return out;
}
