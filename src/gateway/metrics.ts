/**
 * The gateway's Prometheus metrics (prom-client): per replica, its scheduler's queue, in-flight calls and
 * tokens, budget, parked runs, placement load, health and the server signals its /metrics gave; admissions,
 * queue wait and TTFT; routing decisions by reason; requests by status; runs by outcome and how their
 * identity was found; retries and ejections. Replicas are labelled by index (`replica="0"`), never by URL.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { SchedulerApi } from "../scheduler/types.js";
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
    const registers = [this.registry];
    const perReplica = (name: string, help: string, read: (r: Replica) => number) =>
      new Gauge({
        name: PREFIX + name,
        help,
        labelNames: ["replica"],
        registers,
        collect() {
          for (const r of replicas) this.set({ replica: String(r.index) }, read(r));
        },
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
    new Gauge({
      name: `${PREFIX}active_runs`,
      help: "Runs the gateway tracks (running or parked).",
      registers,
      collect() {
        this.set(activeRuns());
      },
    });
    new Gauge({
      name: `${PREFIX}retained_run_bytes`,
      help: "Bytes of run state kept between calls, as counted against maxRetainedBytes.",
      registers,
      collect() {
        this.set(retainedBytes());
      },
    });
    this.requests = new Counter({
      name: `${PREFIX}requests_total`,
      help: "Chat-completion requests answered, by HTTP status.",
      labelNames: ["status"],
      registers,
    });
    this.admissions = new Counter({
      name: `${PREFIX}admissions_total`,
      help: "Calls admitted by a replica's scheduler.",
      labelNames: ["replica"],
      registers,
    });
    this.queueWait = new Histogram({
      name: `${PREFIX}queue_wait_seconds`,
      help: "Time a call waited for admission.",
      labelNames: ["replica"],
      buckets: SECONDS,
      registers,
    });
    this.ttft = new Histogram({
      name: `${PREFIX}ttft_seconds`,
      help: "Per-call time from the request's arrival at the gateway to its first token.",
      labelNames: ["replica"],
      buckets: SECONDS,
      registers,
    });
    this.routing = new Counter({
      name: `${PREFIX}routing_decisions_total`,
      help: "Placement decisions by replica and reason (affinity, prefix, hash, least-loaded, round-robin, none, retry).",
      labelNames: ["replica", "reason"],
      registers,
    });
    this.retries = new Counter({
      name: `${PREFIX}retries_total`,
      help: "Calls retried on another replica after failing before their first byte.",
      registers,
    });
    this.ejections = new Counter({
      name: `${PREFIX}ejections_total`,
      help: "Times a replica was ejected as unhealthy.",
      labelNames: ["replica"],
      registers,
    });
    this.runs = new Counter({
      name: `${PREFIX}runs_total`,
      help: "Runs ended, by outcome (ok, error, aborted, abandoned).",
      labelNames: ["outcome"],
      registers,
    });
    this.identity = new Counter({
      name: `${PREFIX}run_identity_total`,
      help: "How each request's run was found (header, continuity, new).",
      labelNames: ["source"],
      registers,
    });
  }
}
