/**
 * Client load of `bench:gateway`: `concurrency` workers, each sending streaming chat completions one after
 * another on keep-alive connections, timing each request's first SSE event and its end; and a capacity probe
 * that opens many streams at once and counts how many are held open together.
 */
import { Agent, request } from "node:http";
import { percentileSorted } from "../../metrics/index.js";

export const BENCH_PROMPT = "bench: stream a long answer";

export interface LoadResult {
  concurrency: number;
  requests: number;
  failed: number;
  /** Time to the first SSE event, ms. */
  ttfbMs: { p50: number; p99: number };
  /** Time to the end of the stream, ms. */
  e2eMs: { p50: number; p99: number };
  requestsPerSecond: number;
  /** Most streams open at once (status received, not yet ended). */
  held: number;
}

interface One {
  ok: boolean;
  ttfb: number;
  e2e: number;
}

function streamOnce(
  agent: Agent,
  port: number,
  body: string,
  gauge: { open: number; held: number },
): Promise<One> {
  return new Promise((resolve) => {
    const start = performance.now();
    let ttfb = -1;
    const req = request(
      { host: "127.0.0.1", port, path: "/v1/chat/completions", method: "POST", agent },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          resolve({ ok: false, ttfb: 0, e2e: 0 });
          return;
        }
        gauge.open++;
        if (gauge.open > gauge.held) gauge.held = gauge.open;
        res.on("data", () => {
          if (ttfb < 0) ttfb = performance.now() - start;
        });
        res.on("end", () => {
          gauge.open--;
          resolve({ ok: true, ttfb, e2e: performance.now() - start });
        });
        res.on("error", () => {
          gauge.open--;
          resolve({ ok: false, ttfb: 0, e2e: 0 });
        });
      },
    );
    req.on("error", () => resolve({ ok: false, ttfb: 0, e2e: 0 }));
    req.setHeader("content-type", "application/json");
    req.end(body);
  });
}

/** `concurrency` workers x `perWorker` sequential streams against `port`. */
export async function runLoad(port: number, concurrency: number, perWorker: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const body = JSON.stringify({
    model: "sim",
    messages: [{ role: "user", content: BENCH_PROMPT }],
    stream: true,
  });
  const gauge = { open: 0, held: 0 };
  const results: One[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < perWorker; i++) results.push(await streamOnce(agent, port, body, gauge));
    }),
  );
  const wallS = (performance.now() - start) / 1000;
  agent.destroy();
  const ok = results.filter((r) => r.ok);
  const ttfb = ok.map((r) => r.ttfb).sort((a, b) => a - b);
  const e2e = ok.map((r) => r.e2e).sort((a, b) => a - b);
  return {
    concurrency,
    requests: results.length,
    failed: results.length - ok.length,
    ttfbMs: { p50: percentileSorted(ttfb, 50) ?? Number.NaN, p99: percentileSorted(ttfb, 99) ?? Number.NaN },
    e2eMs: { p50: percentileSorted(e2e, 50) ?? Number.NaN, p99: percentileSorted(e2e, 99) ?? Number.NaN },
    requestsPerSecond: ok.length / wallS,
    held: gauge.held,
  };
}
