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
import { MetricDeclarer, type ReadRow } from "../util/prometheus.js";
import type { LlamaEngine, LlamaEngineStats } from "./engine.js";

/** The metrics, in llama.cpp's order, read from the engine's stats when scraped (the engine keeps the totals). */
const READ: Readonly<Record<string, ReadRow<LlamaEngineStats>>> = {
  prompt_tokens_total: ["Number of prompt tokens processed.", (s) => s.promptTokensTotal],
  prompt_seconds_total: ["Prompt process time", (s) => s.promptSecondsTotal],
  tokens_predicted_total: ["Number of generation tokens processed.", (s) => s.tokensPredictedTotal],
  tokens_predicted_seconds_total: ["Predict process time", (s) => s.tokensPredictedSecondsTotal],
  prompt_tokens_seconds: [
    "Average prompt throughput in tokens/s.",
    (s) => (s.promptSecondsTotal > 0 ? s.promptTokensTotal / s.promptSecondsTotal : 0),
  ],
  predicted_tokens_seconds: [
    "Average generation throughput in tokens/s.",
    (s) => (s.tokensPredictedSecondsTotal > 0 ? s.tokensPredictedTotal / s.tokensPredictedSecondsTotal : 0),
  ],
  kv_cache_usage_ratio: [
    "KV-cache usage of the requests being processed. 1 means 100 percent usage.",
    (s) => s.kvCacheUsageRatio,
  ],
  kv_cache_tokens: ["KV-cache tokens (cached prefixes of free slots included).", (s) => s.kvCacheTokens],
  requests_processing: ["Number of requests processing.", (s) => s.processing],
  requests_deferred: ["Number of requests deferred.", (s) => s.deferred],
  prefix_cache_queries_total: [
    "Prompt tokens looked up in the slots' KV (AugServe addition).",
    (s) => s.prefixCacheQueriesTotal,
  ],
  prefix_cache_hits_total: [
    "Prompt tokens found in a slot's KV and not recomputed (AugServe addition).",
    (s) => s.prefixCacheHitsTotal,
  ],
};

export function createEngineMetrics(engine: LlamaEngine): Registry {
  const registry = new Registry();
  // stats() is cheap (a walk over the slots): each collector reads it afresh.
  new MetricDeclarer(registry, "llamacpp:").readTable(READ, () => engine.stats());
  return registry;
}
