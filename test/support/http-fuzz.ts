/**
 * Fuzzing of an OpenAI-compatible HTTP surface with fast-check (the simulator, the engine; the gateway
 * next): random and adversarial request bodies (random JSON, valid bodies with fields of the wrong type,
 * deep nesting anywhere, huge and tiny numbers, unicode edge cases, `__proto__` keys, raw invalid UTF-8,
 * truncated JSON, bodies near the 4 MiB limit in their costliest shapes, at most one per batch) and random
 * routes. The contract checked for each request: an answer within a bound, 200 or 400 (404 for unknown
 * routes, 415 for a bodyless POST without Content-Type), a JSON error body on 400, a complete body on 200 (SSE ending in [DONE]); and while they run,
 * `/health` keeps answering quickly.
 */
import fc from "fast-check";
import { expect } from "vitest";
import { describeRequest, type FuzzRequest, fuzzRequest, hugeRequest } from "./fuzz-requests.js";
import { probeHealth } from "./health-probe.js";

export interface FuzzOptions {
  /** `http://host:port` of the server. */
  url: string;
  /** Property runs (each a batch of concurrent requests). */
  numRuns: number;
  /** Requests per batch, sent at once. @default 6 */
  batch?: number;
  /** Most time one request may take, ms (a shared 2-core machine: generous). @default 10000 */
  answerBoundMs?: number;
  /**
   * Most time one `/health` answer may wait on a busy server loop meanwhile, ms (a frozen loop takes many
   * seconds): bounds `blockedMs` of the probe (test/support/health-probe.ts), not the machine's load. @default 2000
   */
  healthBoundMs?: number;
}

async function send(url: string, request: FuzzRequest, boundMs: number): Promise<number> {
  const signal = AbortSignal.timeout(boundMs);
  if (request.kind === "route") {
    const res = await fetch(`${url}${request.path}`, { method: request.method, signal });
    await res.arrayBuffer();
    // A route request carries no body and no Content-Type: a POST to a JSON route may rightly answer 415
    // (the gateway checks the media type before the body).
    expect([200, 204, 400, 404, 415], `${request.method} ${request.path}`).toContain(res.status);
    return res.status;
  }
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: request.body,
    signal,
  });
  const text = await res.text();
  const what = describeRequest(request);
  expect([200, 400], `${what} -> ${res.status} ${text.slice(0, 300)}`).toContain(res.status);
  if (res.status === 400) {
    const json = JSON.parse(text) as { error: { type: string; message: string } };
    expect(json.error.type, what).toBe("invalid_request_error");
    expect(json.error.message.length, what).toBeGreaterThan(0);
  } else if (res.headers.get("content-type")?.startsWith("text/event-stream")) {
    expect(text.endsWith("data: [DONE]\n\n"), what).toBe(true);
  } else {
    expect((JSON.parse(text) as { object: string }).object, what).toBe("chat.completion");
  }
  return res.status;
}

/**
 * Sends `numRuns` batches of fuzz requests to the server at `url` while probing `/health`; fails on the first
 * request outside the contract (see the module comment), or if `/health` was slow or failed.
 */
export async function fuzzOpenAIServer(
  options: FuzzOptions,
): Promise<{ statuses: Record<number, number>; healthMaxMs: number; healthBlockedMaxMs: number }> {
  const answerBoundMs = options.answerBoundMs ?? 10_000;
  const probe = probeHealth(options.url);
  const statuses: Record<number, number> = {};
  let failure: unknown;
  try {
    await fc.assert(
      fc.asyncProperty(
        fc
          .tuple(
            fc.array(fuzzRequest, { minLength: 1, maxLength: options.batch ?? 6 }),
            // A huge body in one batch out of five.
            fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: hugeRequest }),
          )
          .map(([batch, huge]) => (huge === null ? batch : [...batch, huge])),
        async (batch) => {
          for (const status of await Promise.all(batch.map((r) => send(options.url, r, answerBoundMs))))
            statuses[status] = (statuses[status] ?? 0) + 1;
        },
      ),
      { numRuns: options.numRuns, endOnFailure: true },
    );
  } catch (error) {
    failure = error;
  }
  const health = await probe.stop();
  if (failure !== undefined) throw failure;
  const healthMaxMs = Math.max(...health.latenciesMs);
  const healthBlockedMaxMs = Math.max(...health.blockedMs);
  expect(health.statuses.every((s) => s === 200)).toBe(true);
  expect(healthBlockedMaxMs, `/health slowest answer ${healthMaxMs.toFixed(0)} ms of wall time`).toBeLessThan(
    options.healthBoundMs ?? 2_000,
  );
  // The server is still up and serving.
  expect((await fetch(`${options.url}/health`)).status).toBe(200);
  return { statuses, healthMaxMs, healthBlockedMaxMs };
}
