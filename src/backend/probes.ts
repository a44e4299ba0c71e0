/**
 * Server-metrics probes: map the Prometheus metric names of vLLM, SGLang and llama.cpp server (and the
 * embedded simulator, which uses vLLM's names) to the scheduler's {@link ServerSignals}.
 *
 * A server can export several label sets of one metric (one per model or engine); counts are summed and
 * KV-cache use takes the maximum, because the fullest engine is the one that preempts first.
 */
import type { ServerSignals } from "../scheduler/types.js";
import type { PrometheusSamples } from "./prometheus.js";

/** The servers whose metric names a probe knows. */
export type ServerKind = "vllm" | "sglang" | "llamacpp";

/** Metric names of one server kind; the first name found of each list is used. */
export interface MetricNames {
  readonly running: readonly string[];
  readonly waiting: readonly string[];
  /** Gauges in 0..1. */
  readonly kvCacheUsage: readonly string[];
  readonly preemptionsTotal: readonly string[];
}

/**
 * Metric names per server kind.
 * vLLM renamed `gpu_cache_usage_perc` to `kv_cache_usage_perc` (V1 engine); both are fractions in 0..1
 * despite the name. SGLang's `token_usage` is the fraction of KV tokens in use. llama.cpp server exports
 * its metrics only when started with `--metrics`.
 */
export const METRIC_NAMES: Readonly<Record<ServerKind, MetricNames>> = {
  vllm: {
    running: ["vllm:num_requests_running"],
    waiting: ["vllm:num_requests_waiting"],
    kvCacheUsage: ["vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"],
    preemptionsTotal: ["vllm:num_preemptions_total", "vllm:num_preemptions"],
  },
  sglang: {
    running: ["sglang:num_running_reqs"],
    waiting: ["sglang:num_queue_reqs"],
    kvCacheUsage: ["sglang:token_usage"],
    preemptionsTotal: ["sglang:num_retracted_reqs_total", "sglang:num_retracted_reqs"],
  },
  llamacpp: {
    running: ["llamacpp:requests_processing"],
    waiting: ["llamacpp:requests_deferred"],
    kvCacheUsage: ["llamacpp:kv_cache_usage_ratio"],
    preemptionsTotal: [],
  },
};

/** What a probe read from one scrape. */
export interface ProbeResult {
  /** The server kind recognised, or `null` when none of the known names were present. */
  readonly server: ServerKind | null;
  readonly signals: ServerSignals;
}

function aggregate(
  samples: PrometheusSamples,
  names: readonly string[],
  how: "sum" | "max",
): number | undefined {
  for (const name of names) {
    const list = samples.get(name);
    if (list === undefined || list.length === 0) continue;
    let acc = how === "sum" ? 0 : Number.NEGATIVE_INFINITY;
    let seen = false;
    for (const sample of list) {
      if (!Number.isFinite(sample.value)) continue;
      seen = true;
      acc = how === "sum" ? acc + sample.value : Math.max(acc, sample.value);
    }
    if (seen) return acc;
  }
  return undefined;
}

function readKind(samples: PrometheusSamples, names: MetricNames): ServerSignals {
  const signals: ServerSignals = {};
  const running = aggregate(samples, names.running, "sum");
  const waiting = aggregate(samples, names.waiting, "sum");
  const kv = aggregate(samples, names.kvCacheUsage, "max");
  const preemptions = aggregate(samples, names.preemptionsTotal, "sum");
  if (running !== undefined) signals.running = Math.max(0, running);
  if (waiting !== undefined) signals.waiting = Math.max(0, waiting);
  if (kv !== undefined) signals.kvCacheUsage = Math.min(1, Math.max(0, kv));
  if (preemptions !== undefined) signals.preemptionsTotal = Math.max(0, preemptions);
  return signals;
}

/**
 * Reads {@link ServerSignals} from parsed samples. The kind is detected from the names present
 * (the first kind with any known metric wins), or forced with `kind`.
 *
 * @example
 * ```ts
 * const { server, signals } = probeSignals(parsePrometheusText(body));
 * if (server !== null) scheduler.observe(signals);
 * ```
 */
export function probeSignals(samples: PrometheusSamples, kind?: ServerKind): ProbeResult {
  const kinds: ServerKind[] = kind === undefined ? ["vllm", "sglang", "llamacpp"] : [kind];
  for (const candidate of kinds) {
    const signals = readKind(samples, METRIC_NAMES[candidate]);
    if (Object.keys(signals).length > 0) return { server: candidate, signals };
  }
  return { server: null, signals: {} };
}
