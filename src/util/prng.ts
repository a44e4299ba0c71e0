/**
 * mulberry32: a tiny, fast, seeded PRNG (32-bit state), so that every generated workload, model file, fixture
 * and bootstrap is reproducible from its seed. Not for cryptography. The one copy in the codebase; it imports
 * nothing, so every part may use it.
 *
 * @returns a function giving uniform numbers in [0, 1)
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
