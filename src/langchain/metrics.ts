/**
 * Prometheus metrics of the integration (DESIGN.md section 5), through prom-client on a registry the user
 * passes (default: the global registry). Several AugServe instances may share one registry and prefix:
 * the metric objects are created once per (registry, prefix) and shared, and the scheduler gauges sum the
 * snapshots of every scheduler registered with them.
 */
import { type Counter, register as globalRegistry, type Histogram, type Registry } from "prom-client";
import type { SchedulerApi } from "../scheduler/types.js";
import { type GaugeRow, MetricDeclarer, type MetricRow } from "../util/prometheus.js";
import type { AgentRunRecord, ArmName } from "./report.js";

const LATENCY_BUCKETS_S = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128];
const NORM_BUCKETS_MS = [1, 2, 5, 10, 20, 35, 50, 75, 100, 150, 250, 500, 1000];

type RunLabels = "policy" | "arm";
type Snapshot = ReturnType<SchedulerApi["snapshot"]>;

/** The scheduler gauges, summed over the schedulers of a policy when scraped. */
const GAUGES: readonly GaugeRow<Snapshot>[] = [
  ["queue_length", "Calls waiting for admission.", (s) => s.queued],
  ["inflight_tokens", "Tokens the admitted calls hold in the budget.", (s) => s.inFlightTokens],
  ["budget_tokens", "The scheduler's current token budget.", (s) => s.budgetTokens],
  ["inflight_calls", "Admitted calls not yet finished.", (s) => s.inFlightCalls],
  ["parked_runs", "Runs in a tool phase.", (s) => s.parkedRuns],
];

const RUN_LABELS = ["policy", "arm"] as const;

/** The counters and histograms the integration updates, by field, in /metrics order. */
const METRICS = {
  admissions: [
    "admissions_total",
    "Model calls admitted (plain-arm calls count as admitted at once).",
    RUN_LABELS,
  ],
  calls: [
    "calls_total",
    "Model calls finished, by outcome (ok, error, aborted, timeout).",
    [...RUN_LABELS, "outcome"],
  ],
  runs: [
    "runs_total",
    "Agent runs finished, by outcome (ok, error, aborted, abandoned).",
    [...RUN_LABELS, "outcome"],
  ],
  slo: [
    "slo_total",
    "Finished runs that met or missed their SLO (result = met | missed).",
    [...RUN_LABELS, "result"],
  ],
  sweptRuns: [
    "runs_swept_total",
    "Runs ended by the idle sweep (as abandoned): their invocation's end was not seen.",
  ],
  queueWait: ["queue_wait_seconds", "Time a call waited for admission.", RUN_LABELS, LATENCY_BUCKETS_S],
  callTtft: [
    "call_ttft_seconds",
    "Per-call time to first token, from admission.",
    RUN_LABELS,
    LATENCY_BUCKETS_S,
  ],
  ttft: ["ttft_seconds", "Run time to first token (first token - arrival).", RUN_LABELS, LATENCY_BUCKETS_S],
  e2e: ["e2e_seconds", "Run end-to-end latency.", RUN_LABELS, LATENCY_BUCKETS_S],
  normLatency: [
    "norm_latency_ms_per_token",
    "(E2E - tool time) / output tokens of a run, ms per token.",
    RUN_LABELS,
    NORM_BUCKETS_MS,
  ],
} as const satisfies Readonly<Record<string, MetricRow>>;

/** The metric objects of one (registry, prefix). */
export class AugServeMetrics {
  // Set from METRICS in the constructor.
  readonly admissions!: Counter<RunLabels>;
  readonly calls!: Counter<RunLabels | "outcome">;
  readonly runs!: Counter<RunLabels | "outcome">;
  readonly slo!: Counter<RunLabels | "result">;
  /** Runs the sweep ended: each is a run whose end no boundary reported (should stay 0). */
  readonly sweptRuns!: Counter;
  readonly queueWait!: Histogram<RunLabels>;
  readonly callTtft!: Histogram<RunLabels>;
  readonly ttft!: Histogram<RunLabels>;
  readonly e2e!: Histogram<RunLabels>;
  readonly normLatency!: Histogram<RunLabels>;
  readonly #schedulers = new Set<SchedulerApi>();

  constructor(registry: Registry, prefix: string) {
    const m = new MetricDeclarer(registry, prefix);
    const schedulers = this.#schedulers;
    m.gauges(GAUGES, ["policy"], (g, read) => {
      g.reset();
      for (const scheduler of schedulers) {
        const snap = scheduler.snapshot();
        g.inc({ policy: snap.policy }, read(snap));
      }
    });
    const declared: Pick<AugServeMetrics, keyof typeof METRICS> = m.metrics(METRICS);
    Object.assign(this, declared);
  }

  /** Adds a scheduler to the gauges; returns the function that removes it. */
  track(scheduler: SchedulerApi): () => void {
    this.#schedulers.add(scheduler);
    return () => this.#schedulers.delete(scheduler);
  }

  /** Records a finished run. */
  recordRun(record: AgentRunRecord, policy: string): void {
    const labels = { policy, arm: record.arm };
    this.runs.inc({ ...labels, outcome: record.outcome });
    this.slo.inc({ ...labels, result: record.sloMet ? "met" : "missed" });
    this.e2e.observe(labels, record.e2eMs / 1000);
    if (record.ttftMs !== null) this.ttft.observe(labels, record.ttftMs / 1000);
    if (record.normLatencyMsPerToken !== null) this.normLatency.observe(labels, record.normLatencyMsPerToken);
  }

  /** Records one call's admission (with its queue wait). */
  recordAdmission(policy: string, arm: ArmName, waitedMs: number): void {
    this.admissions.inc({ policy, arm });
    this.queueWait.observe({ policy, arm }, waitedMs / 1000);
  }
}

const shared = new WeakMap<Registry, Map<string, AugServeMetrics>>();

/** The metrics of (registry, prefix), created on first use. */
export function metricsFor(registry: Registry | undefined, prefix: string): AugServeMetrics {
  const reg = registry ?? globalRegistry;
  let byPrefix = shared.get(reg);
  if (byPrefix === undefined) {
    byPrefix = new Map();
    shared.set(reg, byPrefix);
  }
  let metrics = byPrefix.get(prefix);
  if (metrics === undefined) {
    metrics = new AugServeMetrics(reg, prefix);
    byPrefix.set(prefix, metrics);
  }
  return metrics;
}
