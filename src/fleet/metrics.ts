/**
 * Prometheus metrics of the fleet members, through prom-client on the registry the options name (default:
 * the global one). Created once per registry and shared by every member (one per replica), labelled by
 * replica; the gauges read the members' state when scraped.
 */
import { type Counter, register as globalRegistry, type Histogram, type Registry } from "prom-client";
import { type GaugeRow, MetricDeclarer, type MetricRow } from "../util/prometheus.js";

/** What the gauges read from a member. */
export interface FleetGaugeSource {
  readonly replica: string;
  gauges(): { lease: number; budget: number; live: number; leader: boolean; mode: string };
}

type Gauges = ReturnType<FleetGaugeSource["gauges"]>;

/** The gauges, per member, read when scraped. */
const GAUGES: readonly GaugeRow<Gauges>[] = [
  [
    "lease_tokens",
    "Tokens of the replica's global budget this process holds (its local budget).",
    (g) => g.lease,
  ],
  ["budget_tokens", "The replica's global budget, as last read from Redis.", (g) => g.budget],
  ["live_processes", "Processes holding a live lease on the replica, as last read.", (g) => g.live],
  ["leader", "1 while this process makes the replica's budget decisions.", (g) => (g.leader ? 1 : 0)],
  [
    "fallback",
    "1 while this process runs on its local fallback share (Redis unreachable or key error).",
    (g) => (g.mode === "fallback" ? 1 : 0),
  ],
];

/** The counters and the histogram a member updates, by field, in /metrics order. */
const METRICS = {
  syncs: [
    "syncs_total",
    "Lease syncs with Redis (one round trip each), by result (ok, error).",
    ["replica", "result"],
  ],
  syncSeconds: [
    "sync_seconds",
    "Round-trip time of a lease sync.",
    ["replica"],
    [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  ],
  fallbacks: [
    "fallbacks_total",
    "Times this process fell back to its local share, by reason (unreachable, key-error).",
    ["replica", "reason"],
  ],
  recoveries: ["recoveries_total", "Times this process rejoined the fleet after a fallback.", ["replica"]],
  decisions: [
    "budget_decisions_total",
    "Budget changes this process made as the fleet's controller, by reason.",
    ["replica", "reason"],
  ],
} as const satisfies Readonly<Record<string, MetricRow>>;

export class FleetMetrics {
  // Set from METRICS in the constructor.
  readonly syncs!: Counter<"replica" | "result">;
  readonly syncSeconds!: Histogram<"replica">;
  readonly fallbacks!: Counter<"replica" | "reason">;
  readonly recoveries!: Counter<"replica">;
  readonly decisions!: Counter<"replica" | "reason">;
  readonly #members = new Set<FleetGaugeSource>();

  constructor(registry: Registry) {
    const m = new MetricDeclarer(registry, "augserve_fleet_");
    const members = this.#members;
    m.gauges(GAUGES, ["replica"], (g, read) => {
      g.reset();
      for (const member of members) g.set({ replica: member.replica }, read(member.gauges()));
    });
    const declared: Pick<FleetMetrics, keyof typeof METRICS> = m.metrics(METRICS);
    Object.assign(this, declared);
  }

  add(member: FleetGaugeSource): () => void {
    this.#members.add(member);
    return () => this.#members.delete(member);
  }
}

const byRegistry = new WeakMap<Registry, FleetMetrics>();

/** The fleet metrics of `registry` (created on first use); `null` when metrics are off. */
export function fleetMetrics(registry: Registry | null | undefined): FleetMetrics | null {
  if (registry === null) return null;
  const r = registry ?? globalRegistry;
  let metrics = byRegistry.get(r);
  if (!metrics) {
    metrics = new FleetMetrics(r);
    byRegistry.set(r, metrics);
  }
  return metrics;
}
