/**
 * Prometheus metrics of the simulator, with vLLM's names and its `model_name` label, on a registry of its own
 * (several servers can live in one process). Durations are in simulated (unscaled GPU) seconds.
 */
import { type Histogram, Registry } from "prom-client";
import { MetricDeclarer, type MetricRow, type ReadRow } from "../../util/prometheus.js";
import type { Engine } from "../engine/engine.js";
import type { EngineStats } from "../types.js";

// vLLM's bucket boundaries (vllm/v1/metrics/loggers.py).
const TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640,
  2560,
];
const ITL_BUCKETS = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80,
];
const E2E_BUCKETS = [
  0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680,
];

/** The gauges and the counters read from the engine when scraped (the engine keeps the totals). */
const READ: Readonly<Record<string, ReadRow<EngineStats>>> = {
  num_requests_running: ["Number of requests in model execution batches.", (s) => s.running],
  num_requests_waiting: ["Number of requests waiting to be processed.", (s) => s.waiting],
  kv_cache_usage_perc: ["KV-cache usage. 1 means 100 percent usage.", (s) => s.kvCacheUsage],
  num_preemptions_total: ["Cumulative number of preemptions.", (s) => s.preemptionsTotal],
  prefix_cache_queries_total: [
    "Prefix cache queries, in terms of number of queried tokens.",
    (s) => s.prefixCacheQueriesTotal,
  ],
  prefix_cache_hits_total: [
    "Prefix cache hits, in terms of number of cached tokens.",
    (s) => s.prefixCacheHitsTotal,
  ],
  prompt_tokens_total: ["Number of prefill tokens processed.", (s) => s.promptTokensTotal],
  generation_tokens_total: ["Number of generation tokens processed.", (s) => s.generatedTokensTotal],
};

const LABEL_NAMES = ["model_name"] as const;

/** The latency histograms the server observes, by field. */
const HISTOGRAMS = {
  ttft: [
    "time_to_first_token_seconds",
    "Histogram of time to first token in seconds.",
    LABEL_NAMES,
    TTFT_BUCKETS,
  ],
  itl: [
    "inter_token_latency_seconds",
    "Histogram of inter-token latency in seconds.",
    LABEL_NAMES,
    ITL_BUCKETS,
  ],
  e2e: [
    "e2e_request_latency_seconds",
    "Histogram of e2e request latency in seconds.",
    LABEL_NAMES,
    E2E_BUCKETS,
  ],
} as const satisfies Readonly<Record<string, MetricRow>>;

/** The server's metrics; every name takes vLLM's `vllm:` prefix. */
export class SimMetrics {
  readonly registry = new Registry();
  // Set from HISTOGRAMS in the constructor.
  readonly ttft!: Histogram<"model_name">;
  readonly itl!: Histogram<"model_name">;
  readonly e2e!: Histogram<"model_name">;
  readonly #labels: { model_name: string };

  constructor(engine: Engine, modelName: string) {
    const labels = { model_name: modelName };
    this.#labels = labels;
    const m = new MetricDeclarer(this.registry, "vllm:");
    m.readTable(READ, () => engine.stats(), labels);
    const declared: Pick<SimMetrics, keyof typeof HISTOGRAMS> = m.metrics(HISTOGRAMS);
    Object.assign(this, declared);
  }

  observeTtft(ms: number): void {
    this.ttft.observe(this.#labels, Math.max(0, ms) / 1000);
  }
  /** `tokens` tokens after a gap of `ms`: one observation per token, as vLLM records per-token latency. */
  observeItl(ms: number, tokens: number): void {
    const each = Math.max(0, ms) / 1000 / tokens;
    for (let i = 0; i < tokens; i++) this.itl.observe(this.#labels, each);
  }
  observeE2e(ms: number): void {
    this.e2e.observe(this.#labels, Math.max(0, ms) / 1000);
  }
}
