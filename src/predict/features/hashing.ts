/**
 * Feature hashing: words and tool names map to a fixed number of buckets, so the online models have a
 * fixed-size weight vector however many distinct words the prompts use (the "hashing trick").
 *
 * The first {@link DENSE_SLOTS} buckets are reserved for the numeric (dense) features, which are
 * written by slot, never hashed, so they cannot collide with a word.
 */

/** Buckets 0..DENSE_SLOTS-1 hold the dense numeric features; hashed features land above. */
export const DENSE_SLOTS = 32;

/** 32-bit FNV-1a of a string (stable across runs and platforms: it is what saved states index by). */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Mixes two 32-bit hashes (for crossed features such as signature x word). */
export function combineHashes(a: number, b: number): number {
  let h = Math.imul(a ^ (b >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ b, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Bucket of a hash in a table of `1 << bits` buckets, above the dense slots. */
export function bucketOf(hash: number, bits: number): number {
  const size = 1 << bits;
  return DENSE_SLOTS + (hash % (size - DENSE_SLOTS));
}

/**
 * A sparse feature vector: parallel arrays of bucket indices and values. Duplicated indices are allowed
 * (a dot product or a gradient step treats them as a sum), which keeps building the vector allocation-light.
 */
export interface SparseVector {
  readonly indices: ArrayLike<number>;
  readonly values: ArrayLike<number>;
}

/** A sparse vector being built (plain arrays that grow). */
export interface SparseBuilder extends SparseVector {
  readonly indices: number[];
  readonly values: number[];
}

/** An empty sparse vector. */
export function sparse(): SparseBuilder {
  return { indices: [], values: [] };
}

/** Appends `value` at `index`. Non-finite values are dropped: a feature must never poison a model. */
export function push(vector: SparseBuilder, index: number, value: number): void {
  if (!Number.isFinite(value) || value === 0) return;
  vector.indices.push(index);
  vector.values.push(value);
}
