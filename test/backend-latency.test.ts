/** Issue 20: the server's latency histograms per scrape window, and the client's event-loop lag monitor. */
import { describe, expect, it } from "vitest";
import {
  EventLoopLagMonitor,
  EventLoopLagOptionsError,
  parsePrometheusText,
  ServerLatencyReader,
} from "../src/backend/index.js";

/** A vLLM-style exposition: cumulative histograms over two model label sets (summed by the reader). */
function vllmScrape(ttft: { sum: number; count: number }, itlBuckets: number[], queueSum = 0): string {
  const les = ["0.01", "0.025", "0.05", "0.1", "+Inf"];
  const itlCount = itlBuckets[itlBuckets.length - 1] as number;
  const half = (x: number) => x / 2;
  const lines: string[] = [
    "# HELP vllm:inter_token_latency_seconds Histogram of inter-token latency in seconds.",
  ];
  for (const model of ["a", "b"]) {
    for (const [i, le] of les.entries()) {
      const count = half(itlBuckets[i] as number);
      lines.push(`vllm:inter_token_latency_seconds_bucket{le="${le}",model_name="${model}"} ${count}`);
    }
    lines.push(`vllm:inter_token_latency_seconds_sum{model_name="${model}"} ${half(itlCount * 0.03)}`);
    lines.push(`vllm:inter_token_latency_seconds_count{model_name="${model}"} ${half(itlCount)}`);
    lines.push(
      `vllm:time_to_first_token_seconds_bucket{le="+Inf",model_name="${model}"} ${half(ttft.count)}`,
    );
    lines.push(`vllm:time_to_first_token_seconds_sum{model_name="${model}"} ${half(ttft.sum)}`);
    lines.push(`vllm:time_to_first_token_seconds_count{model_name="${model}"} ${half(ttft.count)}`);
    lines.push(`vllm:request_queue_time_seconds_bucket{le="+Inf",model_name="${model}"} ${half(ttft.count)}`);
    lines.push(`vllm:request_queue_time_seconds_sum{model_name="${model}"} ${half(queueSum)}`);
    lines.push(`vllm:request_queue_time_seconds_count{model_name="${model}"} ${half(ttft.count)}`);
  }
  return `${lines.join("\n")}\n`;
}

describe("ServerLatencyReader", () => {
  it("reads nothing from a first scrape: histograms are cumulative since the server started", () => {
    const reader = new ServerLatencyReader();
    expect(
      reader.read(parsePrometheusText(vllmScrape({ sum: 5, count: 10 }, [0, 0, 10, 20, 20])), "vllm"),
    ).toEqual({});
  });

  it("reads the window's mean TTFT and queue time and its median inter-token latency", () => {
    const reader = new ServerLatencyReader();
    reader.read(parsePrometheusText(vllmScrape({ sum: 5, count: 10 }, [0, 0, 10, 20, 20], 1)), "vllm");
    // The window: 4 requests whose TTFTs sum to 2 s; 80 gaps, 20 in (25, 50] ms and 60 in (50, 100] ms.
    const next = vllmScrape({ sum: 7, count: 14 }, [0, 0, 30, 100, 100], 1.4);
    const read = reader.read(parsePrometheusText(next), "vllm");
    expect(read.ttftMs).toBeCloseTo(500, 6);
    expect(read.queueMs).toBeCloseTo(100, 6);
    // Rank 40 of 80 lies 20 into the 60 of the (50, 100] bucket: 50 + 50 x 20/60 ms (Prometheus's interpolation).
    expect(read.tokenLatencyMs).toBeCloseTo(50 + (50 * 20) / 60, 6);
  });

  it("yields nothing for a window without requests, nor after a counter reset (a restarted server)", () => {
    const reader = new ServerLatencyReader();
    const scrape = vllmScrape({ sum: 5, count: 10 }, [0, 0, 10, 20, 20]);
    reader.read(parsePrometheusText(scrape), "vllm");
    expect(reader.read(parsePrometheusText(scrape), "vllm")).toEqual({});
    expect(
      reader.read(parsePrometheusText(vllmScrape({ sum: 1, count: 2 }, [0, 0, 1, 2, 2])), "vllm"),
    ).toEqual({});
  });

  it("reads llama.cpp's decode-time counters as a mean ms/token", () => {
    const reader = new ServerLatencyReader();
    const scrape = (seconds: number, tokens: number) =>
      `llamacpp:tokens_predicted_seconds_total ${seconds}\nllamacpp:tokens_predicted_total ${tokens}\n`;
    reader.read(parsePrometheusText(scrape(10, 500)), "llamacpp");
    expect(reader.read(parsePrometheusText(scrape(13, 600)), "llamacpp").tokenLatencyMs).toBeCloseTo(30, 6);
  });
});

describe("EventLoopLagMonitor", () => {
  it("constructor - rejects bad options naming the field", () => {
    expect(() => new EventLoopLagMonitor({ onLag: () => {}, intervalMs: 5 })).toThrow(
      EventLoopLagOptionsError,
    );
    expect(() => new EventLoopLagMonitor({ onLag: () => {}, intervalMs: 5 })).toThrow(/intervalMs/);
    expect(() => new EventLoopLagMonitor({ onLag: () => {}, resolutionMs: 0.5 })).toThrow(/resolutionMs/);
    expect(() => new EventLoopLagMonitor({} as never)).toThrow(/onLag/);
  });

  it("reports a delay when the loop is blocked (a 300-ms busy loop inside the window)", async () => {
    const reports: number[] = [];
    const monitor = new EventLoopLagMonitor({ onLag: (ms) => reports.push(ms), intervalMs: 1000 }).start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const end = performance.now() + 300;
      while (performance.now() < end) {
        // Busy: the monitor's timer cannot fire.
      }
      await new Promise((resolve) => setTimeout(resolve, 1200));
    } finally {
      monitor.stop();
    }
    // Whatever the machine's speed, one timer tick waited out the 300 ms: the window's mean delay is > 0.
    expect(reports.length).toBeGreaterThan(0);
    expect(Math.max(...reports)).toBeGreaterThan(0);
    expect(monitor.lastMs).toBeGreaterThanOrEqual(0);
  });
});
