/**
 * Approximate prefix matching without a tokenizer (SGLang's router keeps an approximate radix tree per
 * worker; Dynamo and llm-d hash KV blocks). A prompt is cut into fixed-size blocks and each block's hash is
 * chained to the previous one, so equal hashes at position i mean equal prompts up to block i (with
 * probability ~1 - 2^-53 per comparison). A replica's {@link PrefixIndex} remembers the chained hashes it
 * was sent, LRU-bounded like the KV cache it stands for. Pure: no I/O, no clock.
 */

/** Characters per block of a text prompt (~64 tokens at ~4 characters a token). */
export const TEXT_BLOCK_CHARS = 256;
/** Tokens per block of a token-id prompt (virtual mode). */
export const TOKEN_BLOCK_TOKENS = 64;

const TWO_32 = 4_294_967_296;

/**
 * Extends the 53-bit hash `seed` with the UTF-16 units of `text` in [from, to) (two independent 32-bit
 * multiplicative lanes, combined, as cyrb53 does).
 */
function mixText(seed: number, text: string, from: number, to: number): number {
  let h1 = (0xdeadbeef ^ seed) >>> 0;
  let h2 = (0x41c6ce57 ^ Math.floor(seed / TWO_32)) >>> 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  return finish(h1, h2);
}

function mixInts(seed: number, ids: ArrayLike<number>, from: number, to: number): number {
  let h1 = (0xdeadbeef ^ seed) >>> 0;
  let h2 = (0x41c6ce57 ^ Math.floor(seed / TWO_32)) >>> 0;
  for (let i = from; i < to; i++) {
    const c = (ids[i] as number) | 0;
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  return finish(h1, h2);
}

function finish(a: number, b: number): number {
  let h1 = a;
  let h2 = b;
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 2_097_152 * (h2 >>> 0) + (h1 >>> 11);
}

/** A 53-bit hash of a string (a key for consistent hashing). */
export function hashText(text: string, seed = 0): number {
  return mixText(seed, text, 0, text.length);
}

/**
 * The chained hashes of the whole blocks of a prompt `length` units long, `mix(chain, from, to)` extending
 * the chain with the units [from, to). A trailing partial block is left out: a server caches whole blocks only.
 */
function chainBlocks(
  length: number,
  block: number,
  mix: (chain: number, from: number, to: number) => number,
): number[] {
  const out: number[] = [];
  let chain = 0;
  for (let at = 0; at + block <= length; at += block) {
    chain = mix(chain, at, at + block);
    out.push(chain);
  }
  return out;
}

/**
 * Chained hashes of the whole blocks of `text` (a trailing partial block is left out: a server caches whole
 * blocks only). O(length).
 */
export function textBlockHashes(text: string, blockChars = TEXT_BLOCK_CHARS): number[] {
  return chainBlocks(text.length, blockChars, (chain, from, to) => mixText(chain, text, from, to));
}

/** Chained hashes of the whole blocks of a token-id prompt. O(length). */
export function tokenBlockHashes(ids: ArrayLike<number>, blockTokens = TOKEN_BLOCK_TOKENS): number[] {
  return chainBlocks(ids.length, blockTokens, (chain, from, to) => mixInts(chain, ids, from, to));
}

/**
 * The chained block hashes a replica was sent, most recently used last, at most `capacity` of them (the
 * oldest are forgotten first, as an LRU prefix cache evicts). `match` and `insert` are O(blocks).
 */
export class PrefixIndex {
  readonly capacity: number;
  readonly #blocks = new Map<number, true>();

  /** @param capacity blocks remembered; >= 1. */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Expected a prefix-index capacity that is an integer >= 1, got ${capacity}`);
    }
    this.capacity = capacity;
  }

  get size(): number {
    return this.#blocks.size;
  }

  /** How many leading blocks of `blocks` this replica probably holds. */
  match(blocks: readonly number[]): number {
    let n = 0;
    while (n < blocks.length && this.#blocks.has(blocks[n] as number)) n++;
    return n;
  }

  /** Records that `blocks` were sent here (they become the most recently used). */
  insert(blocks: readonly number[]): void {
    const map = this.#blocks;
    for (const block of blocks) {
      if (map.has(block)) map.delete(block);
      map.set(block, true);
    }
    while (map.size > this.capacity) {
      const oldest = map.keys().next().value as number;
      map.delete(oldest);
    }
  }

  /** Forgets everything (the replica restarted or was ejected: its cache is gone). */
  clear(): void {
    this.#blocks.clear();
  }
}
