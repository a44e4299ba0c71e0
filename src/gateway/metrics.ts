/**
 * The gateway's Prometheus metrics (prom-client): per replica, its scheduler's queue, in-flight calls and
 * tokens, budget, parked runs, placement load, health and the server signals its /metrics gave; admissions,
 * queue wait and TTFT; routing decisions by reason; requests by status; runs by outcome and how their
 * identity was found; retries and ejections. Replicas are labelled by index (`replica="0"`), never by URL.
 */
import { type Counter, type Histogram, Registry } from "prom-client";
import type { SchedulerApi } from "../scheduler/types.js";
import { type GaugeRow, MetricDeclarer, type MetricRow } from "../util/prometheus.js";
import { loadOf, type ReplicaLoad } from "./placement/placer.js";
import type { Replica } from "./replica.js";

const SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128];
const PREFIX = "augserve_gateway_";

/** The counters and histograms the gateway updates, by field, in /metrics order. */
const METRICS = {
  requests: ["requests_total", "Chat-completion requests answered, by HTTP status.", ["status"]],
  admissions: ["admissions_total", "Calls admitted by a replica's scheduler.", ["replica"]],
  queueWait: ["queue_wait_seconds", "Time a call waited for admission.", ["replica"], SECONDS],
  ttft: [
    "ttft_seconds",
    "Per-call time from the request's arrival at the gateway to its first token.",
    ["replica"],
    SECONDS,
  ],
  routing: [
    "routing_decisions_total",
    "Placement decisions by replica and reason (affinity, prefix, hash, least-loaded, round-robin, none, retry).",
    ["replica", "reason"],
  ],
  retries: ["retries_total", "Calls retried on another replica after failing before their first byte."],
  ejections: ["ejections_total", "Times a replica was ejected as unhealthy.", ["replica"]],
  runs: ["runs_total", "Runs ended, by outcome (ok, error, aborted, abandoned).", ["outcome"]],
  identity: ["run_identity_total", "How each request's run was found (header, continuity, new).", ["source"]],
} as const satisfies Readonly<Record<string, MetricRow>>;

export class GatewayMetrics {
  readonly registry: Registry;
  // Set from METRICS in the constructor.
  readonly requests!: Counter<"status">;
  readonly admissions!: Counter<"replica">;
  readonly queueWait!: Histogram<"replica">;
  readonly ttft!: Histogram<"replica">;
  readonly routing!: Counter<"replica" | "reason">;
  readonly retries!: Counter<string>;
  readonly ejections!: Counter<"replica">;
  readonly runs!: Counter<"outcome">;
  readonly identity!: Counter<"source">;

  constructor(
    replicas: readonly Replica[],
    loadOfReplica: (replica: Replica) => ReplicaLoad,
    activeRuns: () => number,
    registry?: Registry,
    retainedBytes: () => number = () => 0,
  ) {
    this.registry = registry ?? new Registry();
    const m = new MetricDeclarer(this.registry, PREFIX);
    declareReplicaGauges(m, replicas, loadOfReplica);
    m.readGauge("active_runs", "Runs the gateway tracks (running or parked).", activeRuns);
    m.readGauge(
      "retained_run_bytes",
      "Bytes of run state kept between calls, as counted against maxRetainedBytes.",
      retainedBytes,
    );
    const declared: Pick<GatewayMetrics, keyof typeof METRICS> = m.metrics(METRICS);
    Object.assign(this, declared);
  }
}

/** What a replica's scheduler reports, read through `pick` when scraped. */
const snap =
  (pick: (s: ReturnType<SchedulerApi["snapshot"]>) => number) =>
  (r: Replica): number =>
    pick(r.scheduler.snapshot());

/** The per-replica gauges, read from each replica when scraped. */
function declareReplicaGauges(
  m: MetricDeclarer,
  replicas: readonly Replica[],
  loadOfReplica: (replica: Replica) => ReplicaLoad,
): void {
  const table: readonly GaugeRow<Replica>[] = [
    ["queue_length", "Calls waiting for admission in the replica's scheduler.", snap((s) => s.queued)],
    ["inflight_calls", "Admitted calls not yet finished.", snap((s) => s.inFlightCalls)],
    ["inflight_tokens", "Tokens admitted calls hold in the replica's budget.", snap((s) => s.inFlightTokens)],
    ["budget_tokens", "The replica's current token budget.", snap((s) => s.budgetTokens)],
    ["parked_runs", "Runs in a tool phase whose last call ran here.", snap((s) => s.parkedRuns)],
    [
      "load",
      "Placement load: (in flight + queued + parked tokens) / budget.",
      (r) => loadOf(loadOfReplica(r)),
    ],
    ["healthy", "1 while the replica takes calls, 0 while ejected.", (r) => (r.healthy ? 1 : 0)],
    ["server_waiting", "Requests waiting on the replica (its /metrics).", (r) => r.signals.waiting ?? 0],
    [
      "server_kv_usage",
      "KV-cache use of the replica, 0..1 (its /metrics).",
      (r) => r.signals.kvCacheUsage ?? 0,
    ],
  ];
  m.gauges(table, ["replica"], (g, read) => {
    for (const r of replicas) g.set({ replica: String(r.index) }, read(r));
  });
}
