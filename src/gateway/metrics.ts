/**
 * The gateway's Prometheus metrics (prom-client): per replica, its scheduler's queue, in-flight calls and
 * tokens, budget, parked runs, placement load, health and the server signals its /metrics gave; admissions,
 * queue wait and TTFT; routing decisions by reason; requests by status; runs by outcome and how their
 * identity was found; retries and ejections. Replicas are labelled by index (`replica="0"`), never by URL.
 */
import { type Counter, type Histogram, Registry } from "prom-client";
import type { SchedulerApi } from "../scheduler/types.js";
import { MetricDeclarer } from "../util/prometheus.js";
import { loadOf, type ReplicaLoad } from "./placement/placer.js";
import type { Replica } from "./replica.js";

const SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128];
const PREFIX = "augserve_gateway_";

export class GatewayMetrics {
  readonly registry: Registry;
  readonly requests: Counter<"status">;
  readonly admissions: Counter<"replica">;
  readonly queueWait: Histogram<"replica">;
  readonly ttft: Histogram<"replica">;
  readonly routing: Counter<"replica" | "reason">;
  readonly retries: Counter<string>;
  readonly ejections: Counter<"replica">;
  readonly runs: Counter<"outcome">;
  readonly identity: Counter<"source">;

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
    this.requests = m.counter("requests_total", "Chat-completion requests answered, by HTTP status.", [
      "status",
    ]);
    this.admissions = m.counter("admissions_total", "Calls admitted by a replica's scheduler.", ["replica"]);
    this.queueWait = m.histogram("queue_wait_seconds", "Time a call waited for admission.", SECONDS, [
      "replica",
    ]);
    this.ttft = m.histogram(
      "ttft_seconds",
      "Per-call time from the request's arrival at the gateway to its first token.",
      SECONDS,
      ["replica"],
    );
    this.routing = m.counter(
      "routing_decisions_total",
      "Placement decisions by replica and reason (affinity, prefix, hash, least-loaded, round-robin, none, retry).",
      ["replica", "reason"],
    );
    this.retries = m.counter(
      "retries_total",
      "Calls retried on another replica after failing before their first byte.",
    );
    this.ejections = m.counter("ejections_total", "Times a replica was ejected as unhealthy.", ["replica"]);
    this.runs = m.counter("runs_total", "Runs ended, by outcome (ok, error, aborted, abandoned).", [
      "outcome",
    ]);
    this.identity = m.counter(
      "run_identity_total",
      "How each request's run was found (header, continuity, new).",
      ["source"],
    );
  }
}

/** The per-replica gauges, read from each replica when scraped. */
function declareReplicaGauges(
  m: MetricDeclarer,
  replicas: readonly Replica[],
  loadOfReplica: (replica: Replica) => ReplicaLoad,
): void {
  const perReplica = (name: string, help: string, read: (r: Replica) => number) =>
    m.gauge(name, help, ["replica"], (g) => {
      for (const r of replicas) g.set({ replica: String(r.index) }, read(r));
    });
  const snap = (read: (s: ReturnType<SchedulerApi["snapshot"]>) => number) => (r: Replica) =>
    read(r.scheduler.snapshot());
  perReplica(
    "queue_length",
    "Calls waiting for admission in the replica's scheduler.",
    snap((s) => s.queued),
  );
  perReplica(
    "inflight_calls",
    "Admitted calls not yet finished.",
    snap((s) => s.inFlightCalls),
  );
  perReplica(
    "inflight_tokens",
    "Tokens admitted calls hold in the replica's budget.",
    snap((s) => s.inFlightTokens),
  );
  perReplica(
    "budget_tokens",
    "The replica's current token budget.",
    snap((s) => s.budgetTokens),
  );
  perReplica(
    "parked_runs",
    "Runs in a tool phase whose last call ran here.",
    snap((s) => s.parkedRuns),
  );
  perReplica("load", "Placement load: (in flight + queued + parked tokens) / budget.", (r) =>
    loadOf(loadOfReplica(r)),
  );
  perReplica("healthy", "1 while the replica takes calls, 0 while ejected.", (r) => (r.healthy ? 1 : 0));
  perReplica(
    "server_waiting",
    "Requests waiting on the replica (its /metrics).",
    (r) => r.signals.waiting ?? 0,
  );
  perReplica(
    "server_kv_usage",
    "KV-cache use of the replica, 0..1 (its /metrics).",
    (r) => r.signals.kvCacheUsage ?? 0,
  );
}
