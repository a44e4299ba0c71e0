/**
 * The server's own latencies, from its cumulative histograms and counters, per scrape window: mean time to
 * first token, median inter-token latency and mean queue time, as `ServerSignals.ttftMs`, `tokenLatencyMs`
 * and `queueMs`. The budget prefers them to what the client measured while they are fresh: they hold neither
 * the client's event-loop lag nor the network (docs/scheduler.md, "Which signal the controller trusts when").
 *
 * Prometheus histograms are cumulative since the server started, so one scrape says nothing of now: a
 * {@link ServerLatencyReader} keeps the previous scrape and reads the difference. A counter that went down
 * (a restarted server) starts afresh and yields nothing for that window.
 */
import type { ServerSignals } from "../scheduler/types.js";
import type { ServerKind } from "./probes.js";
import type { PrometheusSamples } from "./prometheus.js";

/** Histogram (or counter-pair) names per server kind; the first name present is used. */
export interface LatencyMetricNames {
  /** Histograms of seconds. */
  readonly ttft: readonly string[];
  readonly tokenLatency: readonly string[];
  readonly queue: readonly string[];
  /**
   * Counter pairs [seconds total, tokens total] for servers without an inter-token histogram (llama.cpp):
   * the window's mean decode time per token.
   */
  readonly tokenSecondsPerToken: readonly (readonly [string, string])[];
}

/**
 * vLLM (V1 renamed `time_per_output_token_seconds` to `inter_token_latency_seconds`), SGLang and llama.cpp
 * server (`--metrics`: only totals, so a mean).
 */
export const LATENCY_METRIC_NAMES: Readonly<Record<ServerKind, LatencyMetricNames>> = {
  vllm: {
    ttft: ["vllm:time_to_first_token_seconds"],
    tokenLatency: ["vllm:inter_token_latency_seconds", "vllm:time_per_output_token_seconds"],
    queue: ["vllm:request_queue_time_seconds"],
    tokenSecondsPerToken: [],
  },
  sglang: {
    ttft: ["sglang:time_to_first_token_seconds"],
    tokenLatency: ["sglang:inter_token_latency_seconds", "sglang:time_per_output_token_seconds"],
    queue: ["sglang:queue_time_seconds"],
    tokenSecondsPerToken: [],
  },
  llamacpp: {
    ttft: [],
    tokenLatency: [],
    queue: [],
    tokenSecondsPerToken: [["llamacpp:tokens_predicted_seconds_total", "llamacpp:tokens_predicted_total"]],
  },
};

/** A cumulative histogram summed over its label sets: upper bounds (ascending) and counts, sum and count. */
interface Cumulative {
  les: number[];
  counts: number[];
  sum: number;
  count: number;
}

function sumOf(samples: PrometheusSamples, name: string): number | undefined {
  const list = samples.get(name);
  if (list === undefined || list.length === 0) return undefined;
  let total = 0;
  for (const s of list) if (Number.isFinite(s.value)) total += s.value;
  return total;
}

function readHistogram(samples: PrometheusSamples, name: string): Cumulative | undefined {
  const buckets = samples.get(`${name}_bucket`);
  const sum = sumOf(samples, `${name}_sum`);
  const count = sumOf(samples, `${name}_count`);
  if (buckets === undefined || sum === undefined || count === undefined) return undefined;
  const byLe = new Map<number, number>();
  for (const b of buckets) {
    const le = b.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(b.labels.le);
    if (Number.isNaN(le) || !Number.isFinite(b.value)) continue;
    byLe.set(le, (byLe.get(le) ?? 0) + b.value);
  }
  const les = [...byLe.keys()].sort((a, b) => a - b);
  return { les, counts: les.map((le) => byLe.get(le) as number), sum, count };
}

/** The window's median from bucket differences, interpolated linearly inside its bucket (as Prometheus does). */
function windowMedian(now: Cumulative, before: Cumulative): number | undefined {
  if (now.les.length !== before.les.length || now.les.some((le, i) => le !== before.les[i])) return undefined;
  const deltas = now.counts.map((c, i) => c - (before.counts[i] as number));
  const total = deltas[deltas.length - 1] ?? 0;
  if (!(total > 0)) return undefined;
  const rank = total / 2;
  for (let i = 0; i < deltas.length; i++) {
    const cum = deltas[i] as number;
    if (cum < rank) continue;
    const upper = now.les[i] as number;
    const lower = i === 0 ? 0 : (now.les[i - 1] as number);
    const below = i === 0 ? 0 : (deltas[i - 1] as number);
    if (!Number.isFinite(upper)) return lower; // in the +Inf bucket: the highest finite bound
    const inBucket = cum - below;
    return inBucket > 0 ? lower + ((upper - lower) * (rank - below)) / inBucket : upper;
  }
  return undefined;
}

/** Reads the server's latencies per scrape window; one instance per server (it keeps the previous scrape). */
export class ServerLatencyReader {
  readonly #previous = new Map<string, Cumulative>();

  /** The window's latencies (ms), merged into the caller's signals; nothing for a first scrape or an idle window. */
  read(
    samples: PrometheusSamples,
    kind: ServerKind,
  ): Pick<ServerSignals, "ttftMs" | "tokenLatencyMs" | "queueMs"> {
    const names = LATENCY_METRIC_NAMES[kind];
    const out: Pick<ServerSignals, "ttftMs" | "tokenLatencyMs" | "queueMs"> = {};
    const ttft = this.#window(samples, names.ttft, "mean");
    const token = this.#window(samples, names.tokenLatency, "median") ?? this.#counterPair(samples, names);
    const queue = this.#window(samples, names.queue, "mean");
    if (ttft !== undefined) out.ttftMs = ttft * 1000;
    if (token !== undefined) out.tokenLatencyMs = token * 1000;
    if (queue !== undefined) out.queueMs = queue * 1000;
    return out;
  }

  #window(samples: PrometheusSamples, names: readonly string[], how: "mean" | "median"): number | undefined {
    for (const name of names) {
      const now = readHistogram(samples, name);
      if (now === undefined) continue;
      const before = this.#previous.get(name);
      this.#previous.set(name, now);
      if (before === undefined || now.count < before.count) return undefined;
      const n = now.count - before.count;
      if (!(n > 0)) return undefined;
      return how === "mean" ? Math.max(0, (now.sum - before.sum) / n) : windowMedian(now, before);
    }
    return undefined;
  }

  #counterPair(samples: PrometheusSamples, names: LatencyMetricNames): number | undefined {
    for (const [secondsName, tokensName] of names.tokenSecondsPerToken) {
      const seconds = sumOf(samples, secondsName);
      const tokens = sumOf(samples, tokensName);
      if (seconds === undefined || tokens === undefined) continue;
      const before = this.#previous.get(secondsName);
      this.#previous.set(secondsName, { les: [], counts: [], sum: seconds, count: tokens });
      if (before === undefined || tokens < before.count || seconds < before.sum) return undefined;
      const n = tokens - before.count;
      return n > 0 ? (seconds - before.sum) / n : undefined;
    }
    return undefined;
  }
}
