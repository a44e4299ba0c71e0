/**
 * Prometheus metrics of the engine with llama.cpp server's names (tools/server, `/metrics`), on a registry
 * of its own. llama.cpp exports them without labels; so does this.
 *
 * Differences from llama.cpp, on purpose: `llamacpp:kv_cache_usage_ratio` counts the KV cells of requests
 * being processed (the cached prefixes that free slots keep count in `llamacpp:kv_cache_tokens` only, as
 * vLLM counts cached free blocks as free), and `llamacpp:prefix_cache_queries_total` /
 * `llamacpp:prefix_cache_hits_total` (prompt tokens looked up / found in a slot's KV) are AugServe's
 * additions, mirroring vLLM's pair, since llama.cpp reports its cache hits only per response.
 */
import { Registry } from "prom-client";
import { MetricDeclarer } from "../util/prometheus.js";
import type { LlamaEngine, LlamaEngineStats } from "./engine.js";

export function createEngineMetrics(engine: LlamaEngine): Registry {
  const registry = new Registry();
  const m = new MetricDeclarer(registry);
  // stats() is cheap (a walk over the slots): each collector reads it afresh.
  const gauge = (name: string, help: string, pick: (s: LlamaEngineStats) => number) =>
    m.readGauge(name, help, () => pick(engine.stats()));
  const counter = (name: string, help: string, pick: (s: LlamaEngineStats) => number) =>
    m.totalCounter(name, help, () => pick(engine.stats()));
  counter("llamacpp:prompt_tokens_total", "Number of prompt tokens processed.", (s) => s.promptTokensTotal);
  counter("llamacpp:prompt_seconds_total", "Prompt process time", (s) => s.promptSecondsTotal);
  counter(
    "llamacpp:tokens_predicted_total",
    "Number of generation tokens processed.",
    (s) => s.tokensPredictedTotal,
  );
  counter(
    "llamacpp:tokens_predicted_seconds_total",
    "Predict process time",
    (s) => s.tokensPredictedSecondsTotal,
  );
  gauge("llamacpp:prompt_tokens_seconds", "Average prompt throughput in tokens/s.", (s) =>
    s.promptSecondsTotal > 0 ? s.promptTokensTotal / s.promptSecondsTotal : 0,
  );
  gauge("llamacpp:predicted_tokens_seconds", "Average generation throughput in tokens/s.", (s) =>
    s.tokensPredictedSecondsTotal > 0 ? s.tokensPredictedTotal / s.tokensPredictedSecondsTotal : 0,
  );
  gauge(
    "llamacpp:kv_cache_usage_ratio",
    "KV-cache usage of the requests being processed. 1 means 100 percent usage.",
    (s) => s.kvCacheUsageRatio,
  );
  gauge(
    "llamacpp:kv_cache_tokens",
    "KV-cache tokens (cached prefixes of free slots included).",
    (s) => s.kvCacheTokens,
  );
  gauge("llamacpp:requests_processing", "Number of requests processing.", (s) => s.processing);
  gauge("llamacpp:requests_deferred", "Number of requests deferred.", (s) => s.deferred);
  counter(
    "llamacpp:prefix_cache_queries_total",
    "Prompt tokens looked up in the slots' KV (AugServe addition).",
    (s) => s.prefixCacheQueriesTotal,
  );
  counter(
    "llamacpp:prefix_cache_hits_total",
    "Prompt tokens found in a slot's KV and not recomputed (AugServe addition).",
    (s) => s.prefixCacheHitsTotal,
  );
  return registry;
}
