/**
 * Prometheus metrics of the fleet members, through prom-client on the registry the options name (default:
 * the global one). Created once per registry and shared by every member (one per replica), labelled by
 * replica; the gauges read the members' state when scraped.
 */
import { Counter, Gauge, register as globalRegistry, Histogram, type Registry } from "prom-client";

/** What the gauges read from a member. */
export interface FleetGaugeSource {
  readonly replica: string;
  gauges(): { lease: number; budget: number; live: number; leader: boolean; mode: string };
}

export class FleetMetrics {
  readonly syncs: Counter<"replica" | "result">;
  readonly syncSeconds: Histogram<"replica">;
  readonly fallbacks: Counter<"replica" | "reason">;
  readonly recoveries: Counter<"replica">;
  readonly decisions: Counter<"replica" | "reason">;
  readonly #members = new Set<FleetGaugeSource>();

  constructor(registry: Registry) {
    const registers = [registry];
    const members = this.#members;
    const gauge = (name: string, help: string, read: (g: ReturnType<FleetGaugeSource["gauges"]>) => number) =>
      new Gauge({
        name: `augserve_fleet_${name}`,
        help,
        labelNames: ["replica"],
        registers,
        collect() {
          this.reset();
          for (const m of members) this.set({ replica: m.replica }, read(m.gauges()));
        },
      });
    gauge(
      "lease_tokens",
      "Tokens of the replica's global budget this process holds (its local budget).",
      (g) => g.lease,
    );
    gauge("budget_tokens", "The replica's global budget, as last read from Redis.", (g) => g.budget);
    gauge("live_processes", "Processes holding a live lease on the replica, as last read.", (g) => g.live);
    gauge("leader", "1 while this process makes the replica's budget decisions.", (g) => (g.leader ? 1 : 0));
    gauge(
      "fallback",
      "1 while this process runs on its local fallback share (Redis unreachable or key error).",
      (g) => (g.mode === "fallback" ? 1 : 0),
    );
    this.syncs = new Counter({
      name: "augserve_fleet_syncs_total",
      help: "Lease syncs with Redis (one round trip each), by result (ok, error).",
      labelNames: ["replica", "result"],
      registers,
    });
    this.syncSeconds = new Histogram({
      name: "augserve_fleet_sync_seconds",
      help: "Round-trip time of a lease sync.",
      labelNames: ["replica"],
      buckets: [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.fallbacks = new Counter({
      name: "augserve_fleet_fallbacks_total",
      help: "Times this process fell back to its local share, by reason (unreachable, key-error).",
      labelNames: ["replica", "reason"],
      registers,
    });
    this.recoveries = new Counter({
      name: "augserve_fleet_recoveries_total",
      help: "Times this process rejoined the fleet after a fallback.",
      labelNames: ["replica"],
      registers,
    });
    this.decisions = new Counter({
      name: "augserve_fleet_budget_decisions_total",
      help: "Budget changes this process made as the fleet's controller, by reason.",
      labelNames: ["replica", "reason"],
      registers,
    });
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
