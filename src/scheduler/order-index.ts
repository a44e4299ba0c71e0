/**
 * An order-statistics index of queued calls: a treap ordered like the rank heap, on (tier, key, callId),
 * whose nodes carry the sum of the queued charges of their subtree. It answers "how many tokens are queued
 * ahead of a call with these keys?" in O(log n) expected, which is what overload shedding needs to predict a
 * new run's wait without scanning the queue. The heap stays the structure admission reads; this index
 * mirrors it, and is kept only when `overload` is `"shed"`.
 *
 * Each node keeps the keys and the charge it was inserted with, so a call whose keys or charge changed is
 * found and removed by its old values, then re-inserted with the new ones.
 */
import type { CallRecord } from "./call-record.js";

export interface OrderNode {
  readonly call: CallRecord;
  tier: number;
  key: number;
  charge: number;
  /** Subtree sum of `charge`. */
  sum: number;
  /** Heap priority of the treap (random), fixed per node. */
  readonly weight: number;
  left: OrderNode | null;
  right: OrderNode | null;
}

/** (tier, key, callId) of `a` orders strictly before that of `b`. */
function before(tier: number, key: number, id: number, node: OrderNode): boolean {
  if (tier !== node.tier) return tier < node.tier;
  if (key !== node.key) return key < node.key;
  return id < node.call.callId;
}

/** (tier, key, callId) of `node` orders strictly before the given keys. */
function nodeBefore(node: OrderNode, tier: number, key: number, id: number): boolean {
  if (node.tier !== tier) return node.tier < tier;
  if (node.key !== key) return node.key < key;
  return node.call.callId < id;
}

const sumOf = (node: OrderNode | null) => (node === null ? 0 : node.sum);

function refresh(node: OrderNode): void {
  node.sum = node.charge + sumOf(node.left) + sumOf(node.right);
}

/** xorshift32: the treap's priorities need to be independent of the keys, not cryptographic. */
function nextWeight(state: { seed: number }): number {
  let x = state.seed;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  state.seed = x;
  return (x >>> 0) / 4_294_967_296;
}

export class OrderIndex {
  #root: OrderNode | null = null;
  #size = 0;
  readonly #random = { seed: 0x9e3779b9 | 0 };

  get size(): number {
    return this.#size;
  }

  /** Tokens of every indexed call. O(1). */
  get totalTokens(): number {
    return sumOf(this.#root);
  }

  /** Indexes `call` with its current tier, key and `queuedCharge`. O(log n) expected. */
  insert(call: CallRecord): void {
    const node: OrderNode = {
      call,
      tier: call.tier,
      key: call.key,
      charge: call.queuedCharge,
      sum: call.queuedCharge,
      weight: nextWeight(this.#random),
      left: null,
      right: null,
    };
    call.orderNode = node;
    this.#root = this.#insert(this.#root, node);
    this.#size += 1;
  }

  /** Removes `call` (found by the keys it was inserted with). No-op when not indexed. O(log n) expected. */
  remove(call: CallRecord): void {
    const node = call.orderNode;
    if (node === null) return;
    call.orderNode = null;
    this.#root = this.#remove(this.#root, node);
    this.#size -= 1;
  }

  /** Tokens of indexed calls ordered strictly before (tier, key, callId). O(log n) expected. */
  tokensBefore(tier: number, key: number, callId: number): number {
    let total = 0;
    let node = this.#root;
    while (node !== null) {
      if (nodeBefore(node, tier, key, callId)) {
        total += sumOf(node.left) + node.charge;
        node = node.right;
      } else node = node.left;
    }
    return total;
  }

  #insert(root: OrderNode | null, node: OrderNode): OrderNode {
    if (root === null) return node;
    root.sum += node.charge;
    if (before(node.tier, node.key, node.call.callId, root)) {
      const left = this.#insert(root.left, node);
      root.left = left;
      if (left.weight < root.weight) return this.#rotateRight(root);
    } else {
      const right = this.#insert(root.right, node);
      root.right = right;
      if (right.weight < root.weight) return this.#rotateLeft(root);
    }
    return root;
  }

  #remove(root: OrderNode | null, node: OrderNode): OrderNode | null {
    if (root === null) return null;
    if (root === node) return this.#merge(root.left, root.right);
    root.sum -= node.charge;
    if (before(node.tier, node.key, node.call.callId, root)) root.left = this.#remove(root.left, node);
    else root.right = this.#remove(root.right, node);
    return root;
  }

  /** Joins two treaps where every key of `a` orders before every key of `b`. */
  #merge(a: OrderNode | null, b: OrderNode | null): OrderNode | null {
    if (a === null) return b;
    if (b === null) return a;
    if (a.weight < b.weight) {
      a.right = this.#merge(a.right, b);
      refresh(a);
      return a;
    }
    b.left = this.#merge(a, b.left);
    refresh(b);
    return b;
  }

  #rotateRight(root: OrderNode): OrderNode {
    const pivot = root.left as OrderNode;
    root.left = pivot.right;
    pivot.right = root;
    refresh(root);
    refresh(pivot);
    return pivot;
  }

  #rotateLeft(root: OrderNode): OrderNode {
    const pivot = root.right as OrderNode;
    root.right = pivot.left;
    pivot.left = root;
    refresh(root);
    refresh(pivot);
    return pivot;
  }

  /** Checks order, the treap property and the sums; for tests. O(n). */
  isValid(): boolean {
    let count = 0;
    const check = (node: OrderNode | null, lo: OrderNode | null, hi: OrderNode | null): boolean => {
      if (node === null) return true;
      count += 1;
      if (lo && !before(lo.tier, lo.key, lo.call.callId, node)) return false;
      if (hi && !before(node.tier, node.key, node.call.callId, hi)) return false;
      if (node.left && node.left.weight < node.weight) return false;
      if (node.right && node.right.weight < node.weight) return false;
      if (node.sum !== node.charge + sumOf(node.left) + sumOf(node.right)) return false;
      return check(node.left, lo, node) && check(node.right, node, hi);
    };
    return check(this.#root, null, null) && count === this.#size;
  }
}
