/**
 * Prometheus metrics of the simulator, with vLLM's names and its `model_name` label, on a registry of its own
 * (several servers can live in one process). Durations are in simulated (unscaled GPU) seconds.
 */
import { type Histogram, Registry } from "prom-client";
import { MetricDeclarer } from "../../util/prometheus.js";
import type { Engine } from "../engine/engine.js";

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

export class SimMetrics {
  readonly registry = new Registry();
  readonly ttft: Histogram<"model_name">;
  readonly itl: Histogram<"model_name">;
  readonly e2e: Histogram<"model_name">;
  readonly #labels: { model_name: string };

  constructor(engine: Engine, modelName: string) {
    const labels = { model_name: modelName };
    this.#labels = labels;
    const m = new MetricDeclarer(this.registry);
    const gauge = (name: string, help: string, read: () => number) => m.readGauge(name, help, read, labels);
    // The engine keeps the totals; the counters mirror them.
    const counter = (name: string, help: string, read: () => number) =>
      m.totalCounter(name, help, read, labels);
    gauge(
      "vllm:num_requests_running",
      "Number of requests in model execution batches.",
      () => engine.stats().running,
    );
    gauge(
      "vllm:num_requests_waiting",
      "Number of requests waiting to be processed.",
      () => engine.stats().waiting,
    );
    gauge(
      "vllm:kv_cache_usage_perc",
      "KV-cache usage. 1 means 100 percent usage.",
      () => engine.stats().kvCacheUsage,
    );
    counter(
      "vllm:num_preemptions_total",
      "Cumulative number of preemptions.",
      () => engine.stats().preemptionsTotal,
    );
    counter(
      "vllm:prefix_cache_queries_total",
      "Prefix cache queries, in terms of number of queried tokens.",
      () => engine.stats().prefixCacheQueriesTotal,
    );
    counter(
      "vllm:prefix_cache_hits_total",
      "Prefix cache hits, in terms of number of cached tokens.",
      () => engine.stats().prefixCacheHitsTotal,
    );
    counter(
      "vllm:prompt_tokens_total",
      "Number of prefill tokens processed.",
      () => engine.stats().promptTokensTotal,
    );
    counter(
      "vllm:generation_tokens_total",
      "Number of generation tokens processed.",
      () => engine.stats().generatedTokensTotal,
    );
    const labelNames = ["model_name"] as const;
    this.ttft = m.histogram(
      "vllm:time_to_first_token_seconds",
      "Histogram of time to first token in seconds.",
      TTFT_BUCKETS,
      labelNames,
    );
    this.itl = m.histogram(
      "vllm:inter_token_latency_seconds",
      "Histogram of inter-token latency in seconds.",
      ITL_BUCKETS,
      labelNames,
    );
    this.e2e = m.histogram(
      "vllm:e2e_request_latency_seconds",
      "Histogram of e2e request latency in seconds.",
      E2E_BUCKETS,
      labelNames,
    );
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
