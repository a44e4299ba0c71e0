/**
 * Paged KV cache with automatic prefix caching, as vLLM V1's block pool does it.
 *
 * - The cache has `numBlocks` blocks of `blockSize` tokens. A block is in use while its reference count is
 *   > 0 (several sequences share the blocks of a common prefix).
 * - A full block whose tokens are known gets a chained hash of the whole token prefix up to its end; the hash
 *   maps to the block while the block's content survives.
 * - Blocks with reference count 0 sit in a free queue (a doubly linked list over typed arrays). Released blocks
 *   go to its tail, a sequence's tail blocks first, so eviction (from the head) is LRU and drops the end of a
 *   prefix before its beginning. A cached block that is reused is taken out of the free queue; a block taken
 *   for new content loses its hash (eviction).
 * - `kvCacheUsage` is 1 - free / total, as vLLM reports it: cached-but-unreferenced blocks count as free.
 *
 * The manager answers "does it fit?" with true/false and never half-allocates.
 */

const NONE = -1;

/** Chained hash of `tokens[from, to)` after the prefix hashed as `parent`: a 53-bit integer (exact in a double). */
export function chainBlockHash(parent: number, tokens: ArrayLike<number>, from: number, to: number): number {
  let a = ((parent % 4_294_967_296) | 0) ^ 0x9e3779b9;
  let b = (Math.floor(parent / 4_294_967_296) | 0) ^ 0x85ebca6b;
  for (let i = from; i < to; i++) {
    const t = tokens[i] as number;
    a = Math.imul(a ^ t, 0x01000193);
    b = Math.imul(b ^ t, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  b = Math.imul(b ^ a, 0xc2b2ae35);
  b ^= b >>> 16;
  return (a >>> 0) * 2_097_152 + ((b >>> 0) >>> 11);
}

/** What the manager needs to know of a sequence: its block table and its full-block hashes. */
export interface KvSequence {
  /** Block ids, in token order. */
  readonly blocks: number[];
  /** Hash of each full block of the sequence's known tokens, in order (may be longer than `blocks`). */
  readonly blockHashes: ArrayLike<number>;
  /** Leading blocks whose hash is already registered (or that came from the cache). */
  hashedBlocks: number;
}

export class KvBlockManager {
  readonly numBlocks: number;
  readonly blockSize: number;
  #refCount: Int32Array;
  #hash: Float64Array;
  #prev: Int32Array;
  #next: Int32Array;
  #head = NONE;
  #tail = NONE;
  #free = 0;
  #cached = new Map<number, number>();

  constructor(numBlocks: number, blockSize: number) {
    this.numBlocks = numBlocks;
    this.blockSize = blockSize;
    this.#refCount = new Int32Array(numBlocks);
    this.#hash = new Float64Array(numBlocks).fill(NONE);
    this.#prev = new Int32Array(numBlocks);
    this.#next = new Int32Array(numBlocks);
    for (let b = 0; b < numBlocks; b++) this.#append(b);
  }

  /** Blocks with reference count 0 (free or cached-but-unreferenced). */
  get freeBlocks(): number {
    return this.#free;
  }

  /** Share of blocks referenced by live sequences, 0..1. */
  get usage(): number {
    return 1 - this.#free / this.numBlocks;
  }

  /** Number of blocks currently holding a registered prefix hash. */
  get cachedBlocks(): number {
    return this.#cached.size;
  }

  /** Blocks needed to hold `tokens` tokens. */
  blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.blockSize);
  }

  /** Length, in blocks, of the longest cached prefix among the first `maxBlocks` hashes. */
  lookupPrefix(hashes: ArrayLike<number>, maxBlocks: number): number {
    const limit = Math.min(maxBlocks, hashes.length);
    let n = 0;
    while (n < limit && this.#cached.has(hashes[n] as number)) n++;
    return n;
  }

  /**
   * Admits a sequence with no blocks: reuses its first `hitBlocks` cached blocks (from `lookupPrefix`) and
   * allocates new ones up to `totalTokens`. False, changing nothing, when the free blocks do not suffice.
   */
  admit(seq: KvSequence, hitBlocks: number, totalTokens: number): boolean {
    const needed = this.blocksFor(totalTokens) - hitBlocks;
    let revived = 0;
    for (let i = 0; i < hitBlocks; i++) {
      if (this.#refCount[this.#cached.get(seq.blockHashes[i] as number) as number] === 0) revived++;
    }
    if (needed + revived > this.#free) return false;
    for (let i = 0; i < hitBlocks; i++) {
      const block = this.#cached.get(seq.blockHashes[i] as number) as number;
      if (this.#refCount[block] === 0) this.#unlink(block);
      this.#refCount[block] = (this.#refCount[block] as number) + 1;
      seq.blocks.push(block);
    }
    seq.hashedBlocks = hitBlocks;
    for (let i = 0; i < needed; i++) seq.blocks.push(this.#take());
    return true;
  }

  /** Grows a running sequence's blocks to hold `totalTokens`. False, changing nothing, if they do not fit. */
  grow(seq: KvSequence, totalTokens: number): boolean {
    const needed = this.blocksFor(totalTokens) - seq.blocks.length;
    if (needed <= 0) return true;
    if (needed > this.#free) return false;
    for (let i = 0; i < needed; i++) seq.blocks.push(this.#take());
    return true;
  }

  /** Registers the hashes of the sequence's blocks that are now full of computed, known tokens. */
  commit(seq: KvSequence, computedTokens: number): void {
    const full = Math.min(Math.floor(computedTokens / this.blockSize), seq.blockHashes.length);
    for (let i = seq.hashedBlocks; i < full; i++) {
      const block = seq.blocks[i] as number;
      const hash = seq.blockHashes[i] as number;
      // A block with the same content may already be cached (two sequences prefilled it at once): keep one.
      if (this.#hash[block] === NONE && !this.#cached.has(hash)) {
        this.#hash[block] = hash;
        this.#cached.set(hash, block);
      }
    }
    if (full > seq.hashedBlocks) seq.hashedBlocks = full;
  }

  /** Releases all of a sequence's blocks (tail first, so the tail is evicted first); hashes stay cached. */
  release(seq: KvSequence): void {
    const blocks = seq.blocks;
    for (let i = blocks.length - 1; i >= 0; i--) {
      const block = blocks[i] as number;
      const left = (this.#refCount[block] as number) - 1;
      this.#refCount[block] = left;
      if (left === 0) this.#append(block);
    }
    blocks.length = 0;
    seq.hashedBlocks = 0;
  }

  /** Checks the free-queue and reference-count invariants (tests; O(numBlocks)). */
  checkInvariants(): void {
    let count = 0;
    for (let b = this.#head; b !== NONE; b = this.#next[b] as number) {
      if (this.#refCount[b] !== 0)
        throw new Error(`block ${b} in the free queue with refCount ${this.#refCount[b]}`);
      count++;
    }
    if (count !== this.#free) throw new Error(`free queue holds ${count} blocks, counter says ${this.#free}`);
    for (const [hash, block] of this.#cached) {
      if (this.#hash[block] !== hash)
        throw new Error(`cache entry of block ${block} does not match its hash`);
    }
  }

  #take(): number {
    const block = this.#head;
    if (block === NONE) throw new Error("KV cache: no free block (caller must check first)");
    this.#unlink(block);
    const hash = this.#hash[block] as number;
    if (hash !== NONE) {
      this.#cached.delete(hash);
      this.#hash[block] = NONE;
    }
    this.#refCount[block] = 1;
    return block;
  }

  #append(block: number): void {
    this.#prev[block] = this.#tail;
    this.#next[block] = NONE;
    if (this.#tail === NONE) this.#head = block;
    else this.#next[this.#tail] = block;
    this.#tail = block;
    this.#free++;
  }

  #unlink(block: number): void {
    const prev = this.#prev[block] as number;
    const next = this.#next[block] as number;
    if (prev === NONE) this.#head = next;
    else this.#next[prev] = next;
    if (next === NONE) this.#tail = prev;
    else this.#prev[next] = prev;
    this.#free--;
  }
}
