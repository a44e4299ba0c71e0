import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { MetricsPoller, parsePrometheusText, probeSignals } from "../src/backend/index.js";
import type { ServerSignals } from "../src/scheduler/types.js";

const VLLM = `# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="llama"} 3.0
vllm:num_requests_running{engine="1",model_name="llama"} 2.0
vllm:num_requests_waiting{engine="0",model_name="llama"} 4.0
vllm:kv_cache_usage_perc{engine="0",model_name="llama"} 0.25
vllm:kv_cache_usage_perc{engine="1",model_name="llama"} 0.75
# TYPE vllm:num_preemptions counter
vllm:num_preemptions_total{engine="0",model_name="llama"} 7.0
vllm:time_to_first_token_seconds_bucket{le="+Inf",model_name="llama"} 12 1700000000000
`;

describe("parsePrometheusText()", () => {
  it("parses names, labels with escapes, special values and timestamps", () => {
    const samples = parsePrometheusText(
      [
        'a{x="1",y="q\\"uote\\n"} 1.5',
        "b 2 1700000000",
        "c NaN",
        "d +Inf",
        "# comment",
        "garbage line here",
        "e{bad labels} 3",
      ].join("\n"),
    );
    expect(samples.get("a")?.[0]).toEqual({ name: "a", labels: { x: "1", y: 'q"uote\n' }, value: 1.5 });
    expect(samples.get("b")?.[0]?.value).toBe(2);
    expect(Number.isNaN(samples.get("c")?.[0]?.value)).toBe(true);
    expect(samples.get("d")?.[0]?.value).toBe(Number.POSITIVE_INFINITY);
    expect(samples.has("e")).toBe(false);
    expect(samples.size).toBe(4);
  });
});

describe("probeSignals()", () => {
  it("maps vLLM names, summing counts and taking the fullest KV cache", () => {
    expect(probeSignals(parsePrometheusText(VLLM))).toEqual({
      server: "vllm",
      signals: { running: 5, waiting: 4, kvCacheUsage: 0.75, preemptionsTotal: 7 },
    });
  });

  it("reads vLLM's older gpu_cache_usage_perc", () => {
    const { signals } = probeSignals(parsePrometheusText("vllm:gpu_cache_usage_perc 0.5\n"));
    expect(signals).toEqual({ kvCacheUsage: 0.5 });
  });

  it("maps SGLang names", () => {
    const text = 'sglang:num_running_reqs{tp_rank="0"} 6\nsglang:num_queue_reqs 1\nsglang:token_usage 0.4\n';
    expect(probeSignals(parsePrometheusText(text))).toEqual({
      server: "sglang",
      signals: { running: 6, waiting: 1, kvCacheUsage: 0.4 },
    });
  });

  it("maps llama.cpp server names", () => {
    const text =
      "llamacpp:requests_processing 2\nllamacpp:requests_deferred 3\nllamacpp:kv_cache_usage_ratio 0.9\n";
    expect(probeSignals(parsePrometheusText(text))).toEqual({
      server: "llamacpp",
      signals: { running: 2, waiting: 3, kvCacheUsage: 0.9 },
    });
  });

  it("returns server null when no known name is present", () => {
    expect(probeSignals(parsePrometheusText("process_cpu_seconds_total 1\n"))).toEqual({
      server: null,
      signals: {},
    });
  });
});

describe("MetricsPoller", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function serve(handler: (status: { count: number }) => [number, string]): Promise<string> {
    const status = { count: 0 };
    server = createServer((_req, res) => {
      status.count += 1;
      const [code, body] = handler(status);
      res.writeHead(code, { "content-type": "text/plain" }).end(body);
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  }

  it(".pollOnce() - delivers the signals of a vLLM endpoint", async () => {
    const url = await serve(() => [200, VLLM]);
    const seen: ServerSignals[] = [];
    const poller = new MetricsPoller({ url, onSignals: (s) => seen.push(s) });
    const outcome = await poller.pollOnce();
    expect(outcome.ok).toBe(true);
    expect(seen).toEqual([{ running: 5, waiting: 4, kvCacheUsage: 0.75, preemptionsTotal: 7 }]);
    poller.stop();
  });

  it(".pollOnce() - warns once per outage, never throws, and recovers", async () => {
    let healthy = false;
    const url = await serve(() => (healthy ? [200, VLLM] : [500, "boom"]));
    const warnings: string[] = [];
    const seen: ServerSignals[] = [];
    const poller = new MetricsPoller({
      url,
      onSignals: (s) => seen.push(s),
      logger: { warn: (m) => warnings.push(m) },
    });
    expect((await poller.pollOnce()).ok).toBe(false);
    expect((await poller.pollOnce()).ok).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("HTTP 500");
    healthy = true;
    expect((await poller.pollOnce()).ok).toBe(true);
    expect(seen).toHaveLength(1);
    poller.stop();
  });

  it(".pollOnce() - an unreachable endpoint is an outcome, not an exception", async () => {
    const url = await serve(() => [200, VLLM]);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    const warnings: string[] = [];
    const poller = new MetricsPoller({ url, onSignals: () => {}, logger: { warn: (m) => warnings.push(m) } });
    const outcome = await poller.pollOnce();
    expect(outcome.ok).toBe(false);
    expect(warnings).toHaveLength(1);
  });

  it(".start() - polls on its interval until the AbortSignal aborts", async () => {
    const url = await serve(() => [200, VLLM]);
    const controller = new AbortController();
    let count = 0;
    const done = new Promise<void>((resolve) => {
      new MetricsPoller({
        url,
        intervalMs: 50,
        signal: controller.signal,
        onSignals: () => {
          count += 1;
          if (count === 3) {
            controller.abort();
            resolve();
          }
        },
      }).start();
    });
    await done;
    await new Promise((r) => setTimeout(r, 120));
    expect(count).toBe(3);
  });

  it("rejects an interval below 50 ms", () => {
    expect(() => new MetricsPoller({ url: "http://x", intervalMs: 1, onSignals: () => {} })).toThrow(
      /intervalMs/,
    );
  });
});
