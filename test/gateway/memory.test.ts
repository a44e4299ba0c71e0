/**
 * Run state is bounded by bytes (issue 24): abandoned runs kept their whole prompt and tool schemas for
 * `runIdleTimeoutMs` (300 s) under a cap on their number only, so 42 requests of 3.5 MiB OOM-killed a
 * gateway with a 160 MiB heap. Checked through the registry's byte counter (behaviour, not heap timings;
 * `npm run bench:gateway -- --abandon` measures the heap).
 */
import { createServer } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { type Gateway, startGateway } from "../../src/gateway/index.js";
import { STAGE_ONE_TEXT_CHARS } from "../../src/gateway/retained.js";
import { RunRegistry } from "../../src/gateway/runs.js";
import { createPredictor } from "../../src/predict/index.js";
import { createScheduler } from "../../src/scheduler/index.js";
import { listen } from "../../src/wire/http.js";
import { type ChatCompletionBody, chatCompletionBodySchema } from "../../src/wire/schema.js";
import { waitFor } from "./helpers.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const KIB400 = 400 * 1024;
const schema = chatCompletionBodySchema(1 << 20);

function bigBody(i: number, toolBytes = 0): ChatCompletionBody {
  return schema.parse({
    model: "m",
    messages: [
      { role: "system", content: `agent ${i % 7} `.repeat(KIB400 / 10) },
      { role: "user", content: `task ${i} `.padEnd(KIB400, "x") },
    ],
    tools:
      toolBytes === 0
        ? []
        : [
            {
              type: "function",
              function: { name: `t${i}`, parameters: { type: "object", description: "d".repeat(toolBytes) } },
            },
          ],
  });
}

function registry(maxRetainedBytes: number): RunRegistry {
  return new RunRegistry({
    predictor: createPredictor(),
    schedulers: [createScheduler()],
    slo: { ttftMs: 2000, normLatencyMsPerToken: 100 },
    idleTimeoutMs: 300_000,
    maxRuns: 100_000,
    maxRetainedBytes,
    now: () => performance.now(),
  });
}

describe("RunRegistry - retained bytes", () => {
  it("runs with 400 KiB prompts: the counted bytes never pass the cap; the oldest idle runs go first", () => {
    const cap = 4 * 1024 * 1024;
    const runs = registry(cap);
    const created: string[] = [];
    for (let i = 0; i < 80; i++) {
      const { run } = runs.resolve(bigBody(i, i % 3 === 0 ? 50_000 : 0), {}, 100_000);
      created.push(run.id);
      // Stage I keeps at most STAGE_ONE_TEXT_CHARS of each prompt, not the 400 KiB.
      expect(run.context.userPrompt.length).toBeLessThanOrEqual(STAGE_ONE_TEXT_CHARS);
      expect(run.context.systemPrompt.length).toBeLessThanOrEqual(STAGE_ONE_TEXT_CHARS);
      expect(runs.retainedBytes).toBeLessThanOrEqual(cap);
    }
    expect(runs.size).toBeLessThan(40);
    // Evicted oldest first: the runs still tracked are exactly the newest ones.
    const kept = created.filter((id) => runs.get(id) !== undefined);
    expect(kept).toEqual(created.slice(created.length - kept.length));
  });

  it("a run with a call in flight is never evicted; the bound holds again once its call is over", () => {
    const runs = registry(1024 * 1024);
    const first = runs.resolve(bigBody(0), {}, 1000).run;
    runs.callStarts(first);
    for (let i = 1; i < 12; i++) runs.resolve(bigBody(i), {}, 1000);
    expect(runs.get(first.id)).toBe(first);
    runs.callFailed(first, "abandoned");
    expect(runs.get(first.id)).toBeUndefined();
    expect(runs.retainedBytes).toBeLessThanOrEqual(1024 * 1024);
  });

  it("a failed or abandoned first call drops its run at once; a run named by header with earlier calls stays for a retry", () => {
    const runs = registry(64 * 1024 * 1024);
    const a = runs.resolve(bigBody(1), {}, 1000).run;
    runs.callStarts(a);
    runs.callFailed(a, "abandoned");
    expect(runs.size).toBe(0);
    expect(runs.retainedBytes).toBe(0);
    const b = runs.resolve(bigBody(2), { runId: "session-b" }, 1000).run;
    runs.callStarts(b);
    runs.callSucceeded(b, {
      replica: 0,
      finishReason: "tool_calls",
      turn: { text: "", toolCalls: [{ name: "t", arguments: "{}" }] },
      outputTokens: 5,
      promptTokens: 1000,
      chain: [1],
    });
    runs.callStarts(b);
    runs.callFailed(b, "error");
    expect(runs.get("session-b")).toBe(b);
    runs.closeAll();
    expect(runs.retainedBytes).toBe(0);
  });
});

describe("gateway - clients that abandon calls with 400 KiB prompts", () => {
  it("each abandoned run is dropped at once: nothing is retained after the clients leave", async () => {
    // An upstream that never answers (the clients give up first).
    const hang = createServer((req) => req.resume());
    const { url } = await listen(hang, 0, "127.0.0.1");
    cleanups.push(() => new Promise((r) => hang.close(r)).then(() => hang.closeAllConnections()));
    const g: Gateway = await startGateway({ upstreams: [`${url}/v1`], port: 0, logger: { warn: () => {} } });
    cleanups.push(() => g.close());
    const body = JSON.stringify({
      model: "m",
      stream: true,
      messages: [{ role: "user", content: "p".repeat(KIB400) }],
    });
    for (let i = 0; i < 12; i++) {
      const abort = new AbortController();
      const call = fetch(`${g.baseURL}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: abort.signal,
      }).catch(() => undefined);
      await waitFor(() => g.activeRuns === 1 && g.replicas()[0]?.inFlightCalls === 1);
      expect(g.retainedRunBytes).toBeGreaterThan(0);
      abort.abort();
      await call;
      await waitFor(() => g.activeRuns === 0);
      expect(g.retainedRunBytes).toBe(0);
    }
    expect(await (await fetch(g.metricsUrl)).text()).toMatch(
      /augserve_gateway_runs_total\{outcome="abandoned"\} 12/,
    );
  });
});
