/**
 * Placement over replicas (issue 15): filter -> score -> pick. Pure: no I/O, no clock; the gateway and the
 * multi-replica virtual bench call the same code with what each observes.
 *
 * `augserve`, in order (the first rule that yields a replica within the load bound wins):
 * 1. **Affinity**: a run's call goes back to the replica that served its previous call (its prefix and KV
 *    are there while it is likely cached).
 * 2. **Prefix**: a new run goes to the replica holding the longest chained-hash prefix of its prompt, when
 *    that covers at least `minMatchRatio` of the prompt's blocks (SGLang's 0.3 match ratio).
 * 3. **Least-loaded when imbalanced**: when the most loaded eligible replica carries `imbalanceRatio` times
 *    the least loaded's load and at least `imbalanceAbs` budgets more.
 * 4. **Bounded-load consistent hashing** (Mirrokni, Thorup and Zadimoghaddam, 2018) on the prompt's first
 *    block (the system prompt and tools): runs that share it meet on one replica, but no replica takes more
 *    than `loadBound` x the mean load, so a popular system prompt spills over to the next replica on the ring.
 *
 * Load (what none of llm-d's, SGLang's or Dynamo's routers counts): a replica's in-flight and queued
 * tokens, plus the predicted tokens of the runs parked on it, which will come back to it after their tool
 * phase, all relative to its budget. "Eligible" is healthy and not saturated; when every healthy replica is
 * saturated, all healthy ones are eligible (placement never refuses work: shedding is the scheduler's job).
 */
import { hashText } from "./prefix-index.js";

/** Placement policies: `augserve` (above) and two baselines. */
export const PLACEMENT_POLICIES = ["augserve", "least-loaded", "round-robin"] as const;
export type PlacementPolicy = (typeof PLACEMENT_POLICIES)[number];

/** What placement knows of one replica at decision time. */
export interface ReplicaLoad {
  healthy: boolean;
  /** Tokens its scheduler holds for admitted calls. */
  inFlightTokens: number;
  /** Tokens of the calls queued in its scheduler. */
  queuedTokens: number;
  /** Predicted tokens of the next calls of the runs parked on it. */
  parkedTokens: number;
  /** Its scheduler's current budget, tokens (> 0). */
  budgetTokens: number;
  /** From the replica's /metrics, when known. */
  kvCacheUsage?: number;
  serverWaiting?: number;
  serverRunning?: number;
}

/** One call to place. */
export interface PlacementRequest {
  /** Replica of the run's previous call, if any. */
  affinity?: number;
  /** Matched blocks per replica (from each replica's `PrefixIndex`), and the prompt's block count. */
  matchedBlocks: readonly number[];
  totalBlocks: number;
  /** Consistent-hashing key (the prompt's first block hash, or a hash of the system prompt). */
  key: number;
  /** Tokens the call will charge to the budget. */
  tokens: number;
}

export type PlacementReason = "affinity" | "prefix" | "least-loaded" | "hash" | "round-robin";

export interface PlacementDecision {
  replica: number;
  reason: PlacementReason;
  /** Matched share of the prompt's blocks on the chosen replica. */
  matchRatio: number;
}

/** Tunables of {@link Placer}; the defaults are the published routers' (cited per field). */
export interface PlacerOptions {
  policy: PlacementPolicy;
  /** Bounded-load factor c: no replica above c x the mean load. > 1. @default 1.25 (Vimeo's HAProxy use) */
  loadBound?: number;
  /** Least prefix match for rule 2, 0..1. @default 0.3 (SGLang's cache_threshold) */
  minMatchRatio?: number;
  /** Rule 3 fires when max load > ratio x min load ... @default 1.5 */
  imbalanceRatio?: number;
  /** ... and max - min > this many budgets. @default 0.5 */
  imbalanceAbs?: number;
  /** Queued tokens, in budgets, above which a replica counts as saturated. @default 4 */
  saturationQueue?: number;
  /** KV-cache use at or above which a replica with a server-side queue counts as saturated. @default 0.98 */
  saturationKv?: number;
  /** Points per replica on the hash ring. @default 64 */
  virtualNodes?: number;
}

/** A replica's load in budgets (what the bound and the imbalance rule compare). */
export function loadOf(r: ReplicaLoad): number {
  return (r.inFlightTokens + r.queuedTokens + r.parkedTokens) / Math.max(1, r.budgetTokens);
}

function saturated(r: ReplicaLoad, o: Required<Omit<PlacerOptions, "policy">>): boolean {
  if (r.queuedTokens > o.saturationQueue * Math.max(1, r.budgetTokens)) return true;
  return (r.kvCacheUsage ?? 0) >= o.saturationKv && (r.serverWaiting ?? 0) > (r.serverRunning ?? 0);
}

export class Placer {
  readonly policy: PlacementPolicy;
  readonly #o: Required<Omit<PlacerOptions, "policy">>;
  /** Sorted ring points and their replicas, per replica count (rebuilt when it changes). */
  #ring: { points: Float64Array; owners: Int32Array; replicas: number } | undefined;
  #next = 0;

  constructor(options: PlacerOptions) {
    this.policy = options.policy;
    this.#o = {
      loadBound: options.loadBound ?? 1.25,
      minMatchRatio: options.minMatchRatio ?? 0.3,
      imbalanceRatio: options.imbalanceRatio ?? 1.5,
      imbalanceAbs: options.imbalanceAbs ?? 0.5,
      saturationQueue: options.saturationQueue ?? 4,
      saturationKv: options.saturationKv ?? 0.98,
      virtualNodes: options.virtualNodes ?? 64,
    };
    if (!(this.#o.loadBound > 1)) throw new RangeError(`Expected loadBound > 1, got ${this.#o.loadBound}`);
  }

  /** Picks a replica for `request`, or `null` when none is healthy. */
  place(request: PlacementRequest, replicas: readonly ReplicaLoad[]): PlacementDecision | null {
    const healthy: number[] = [];
    for (let i = 0; i < replicas.length; i++) if (replicas[i]?.healthy) healthy.push(i);
    if (healthy.length === 0) return null;
    const unsaturated = healthy.filter((i) => !saturated(replicas[i] as ReplicaLoad, this.#o));
    const eligible = unsaturated.length > 0 ? unsaturated : healthy;
    const ratio = (i: number) =>
      request.totalBlocks === 0 ? 0 : (request.matchedBlocks[i] ?? 0) / request.totalBlocks;
    const decide = (replica: number, reason: PlacementReason): PlacementDecision => ({
      replica,
      reason,
      matchRatio: ratio(replica),
    });

    if (this.policy === "round-robin") {
      const pick = eligible[this.#next++ % eligible.length] as number;
      return decide(pick, "round-robin");
    }
    const after = (i: number) => {
      const r = replicas[i] as ReplicaLoad;
      return loadOf(r) + request.tokens / Math.max(1, r.budgetTokens);
    };
    const leastLoaded = () => {
      let best = eligible[0] as number;
      for (const i of eligible) if (after(i) < after(best)) best = i;
      return best;
    };
    if (this.policy === "least-loaded") return decide(leastLoaded(), "least-loaded");

    // Bounded load: c x the mean load after placing this call (so an idle fleet accepts anything).
    let sum = 0;
    for (const i of eligible) sum += loadOf(replicas[i] as ReplicaLoad);
    const meanTokens = eligible.reduce(
      (acc, i) => acc + request.tokens / Math.max(1, (replicas[i] as ReplicaLoad).budgetTokens),
      0,
    );
    const bound = (this.#o.loadBound * (sum + meanTokens)) / eligible.length;
    const within = (i: number) => after(i) <= bound + 1e-9;

    const affinity = request.affinity;
    if (affinity !== undefined && eligible.includes(affinity) && within(affinity))
      return decide(affinity, "affinity");

    let bestMatch = -1;
    for (const i of eligible) {
      if (!within(i) || ratio(i) < this.#o.minMatchRatio) continue;
      if (
        bestMatch < 0 ||
        ratio(i) > ratio(bestMatch) ||
        (ratio(i) === ratio(bestMatch) && after(i) < after(bestMatch))
      )
        bestMatch = i;
    }
    if (bestMatch >= 0) return decide(bestMatch, "prefix");

    let min = Number.POSITIVE_INFINITY;
    let max = 0;
    for (const i of eligible) {
      const load = loadOf(replicas[i] as ReplicaLoad);
      min = Math.min(min, load);
      max = Math.max(max, load);
    }
    if (max - min > this.#o.imbalanceAbs && max > this.#o.imbalanceRatio * min)
      return decide(leastLoaded(), "least-loaded");

    const ring = this.#ringFor(replicas.length);
    const points = ring.points;
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((points[mid] as number) < request.key) lo = mid + 1;
      else hi = mid;
    }
    for (let step = 0; step < points.length; step++) {
      const owner = ring.owners[(lo + step) % points.length] as number;
      if (eligible.includes(owner) && within(owner)) return decide(owner, "hash");
    }
    return decide(leastLoaded(), "least-loaded");
  }

  #ringFor(replicas: number) {
    if (this.#ring?.replicas === replicas) return this.#ring;
    const entries: Array<[number, number]> = [];
    for (let r = 0; r < replicas; r++)
      for (let v = 0; v < this.#o.virtualNodes; v++) entries.push([hashText(`replica-${r}#${v}`), r]);
    entries.sort((a, b) => a[0] - b[0]);
    this.#ring = {
      points: Float64Array.from(entries, (e) => e[0]),
      owners: Int32Array.from(entries, (e) => e[1]),
      replicas,
    };
    return this.#ring;
  }
}
