import { describe, expect, it } from "vitest";
import {
  loadOf,
  type PlacementRequest,
  Placer,
  PrefixIndex,
  type ReplicaLoad,
  textBlockHashes,
  tokenBlockHashes,
} from "../../src/gateway/placement/index.js";

const replica = (over: Partial<ReplicaLoad> = {}): ReplicaLoad => ({
  healthy: true,
  inFlightTokens: 0,
  queuedTokens: 0,
  parkedTokens: 0,
  budgetTokens: 10_000,
  ...over,
});
const request = (over: Partial<PlacementRequest> = {}): PlacementRequest => ({
  matchedBlocks: [0, 0, 0, 0],
  totalBlocks: 10,
  key: 12345,
  tokens: 500,
  ...over,
});

describe("textBlockHashes() / tokenBlockHashes() - chained block hashes", () => {
  it("equal prefixes give equal leading hashes, and a change changes every later hash", () => {
    const a = textBlockHashes(`${"s".repeat(600)}tail-a${"x".repeat(300)}`, 100);
    const b = textBlockHashes(`${"s".repeat(600)}tail-b${"x".repeat(300)}`, 100);
    expect(a.slice(0, 6)).toEqual(b.slice(0, 6));
    for (let i = 6; i < a.length; i++) expect(a[i]).not.toBe(b[i]);
    expect(textBlockHashes("short", 100)).toEqual([]);
    const ids = Array.from({ length: 200 }, (_, i) => i);
    expect(tokenBlockHashes(ids, 64)).toHaveLength(3);
    expect(tokenBlockHashes(ids, 64).slice(0, 2)).toEqual(
      tokenBlockHashes(ids.slice(0, 150), 64).slice(0, 2),
    );
  });
});

describe("PrefixIndex - LRU of a replica's block hashes", () => {
  it("matches the longest remembered prefix and forgets the least recently used first", () => {
    const index = new PrefixIndex(4);
    index.insert([1, 2, 3]);
    expect(index.match([1, 2, 3, 4])).toBe(3);
    expect(index.match([5, 2])).toBe(0);
    index.insert([1, 9]); // 1 is used again; 2 is now the oldest
    index.insert([7]);
    expect(index.size).toBe(4);
    expect(index.match([1, 2])).toBe(1);
    index.clear();
    expect(index.match([1])).toBe(0);
    expect(() => new PrefixIndex(0)).toThrow(RangeError);
  });
});

describe("Placer - filter, score, pick", () => {
  it("augserve keeps a run on its replica (affinity) while within the load bound", () => {
    const placer = new Placer({ policy: "augserve" });
    const loads = [replica({ inFlightTokens: 4000 }), replica({ inFlightTokens: 3000 })];
    expect(placer.place(request({ affinity: 0 }), loads)).toMatchObject({ replica: 0, reason: "affinity" });
  });

  it("augserve leaves the affinity replica when it is far over the mean load", () => {
    const placer = new Placer({ policy: "augserve" });
    const loads = [replica({ inFlightTokens: 30_000 }), replica({ inFlightTokens: 0 })];
    expect(placer.place(request({ affinity: 0 }), loads)?.replica).toBe(1);
  });

  it("augserve sends a new run to the best prefix match above the 0.3 ratio", () => {
    const placer = new Placer({ policy: "augserve" });
    const loads = [replica(), replica(), replica()];
    expect(placer.place(request({ matchedBlocks: [1, 6, 4] }), loads)).toMatchObject({
      replica: 1,
      reason: "prefix",
      matchRatio: 0.6,
    });
    expect(placer.place(request({ matchedBlocks: [1, 2, 0] }), loads)?.reason).not.toBe("prefix");
  });

  it("a popular key spreads over replicas once its replica reaches the bound (bounded-load hashing)", () => {
    const placer = new Placer({ policy: "augserve", imbalanceAbs: 1e9 });
    const loads = [replica(), replica(), replica(), replica()];
    const picks: number[] = [];
    for (let i = 0; i < 40; i++) {
      const decision = placer.place(request({ tokens: 1000 }), loads);
      if (decision === null) throw new Error("no replica");
      picks.push(decision.replica);
      (loads[decision.replica] as ReplicaLoad).inFlightTokens += 1000;
    }
    const counts = [0, 1, 2, 3].map((r) => picks.filter((p) => p === r).length);
    // On an idle fleet a key always starts at the same replica; no replica ends above 1.25 x the mean (10).
    const idle = [replica(), replica(), replica(), replica()];
    expect(placer.place(request({ tokens: 1000 }), idle)?.replica).toBe(picks[0]);
    expect(Math.max(...counts)).toBeLessThanOrEqual(13);
    expect(Math.min(...counts)).toBeGreaterThan(0);
  });

  it("least-loaded when imbalanced; parked tokens count as load", () => {
    const placer = new Placer({ policy: "augserve" });
    const loads = [replica({ parkedTokens: 20_000 }), replica({ inFlightTokens: 1000 })];
    expect(placer.place(request(), loads)).toMatchObject({ replica: 1, reason: "least-loaded" });
    expect(loadOf(loads[0] as ReplicaLoad)).toBe(2);
  });

  it("unhealthy replicas are never picked; none healthy gives null; saturated ones only when all are", () => {
    const placer = new Placer({ policy: "least-loaded" });
    expect(
      placer.place(request(), [replica({ healthy: false }), replica({ inFlightTokens: 9000 })])?.replica,
    ).toBe(1);
    expect(placer.place(request(), [replica({ healthy: false })])).toBeNull();
    const saturated = replica({ queuedTokens: 50_000 });
    expect(placer.place(request(), [saturated, replica({ inFlightTokens: 60_000 })])?.replica).toBe(1);
    expect(placer.place(request(), [saturated])?.replica).toBe(0);
  });

  it("round-robin cycles over the eligible replicas", () => {
    const placer = new Placer({ policy: "round-robin" });
    const loads = [replica(), replica({ healthy: false }), replica()];
    expect([1, 2, 3, 4].map(() => placer.place(request(), loads)?.replica)).toEqual([0, 2, 0, 2]);
  });
});
