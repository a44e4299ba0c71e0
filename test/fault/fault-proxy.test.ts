/**
 * The fault proxy itself (test/support/fault-proxy.ts), in front of the real simulator, seen through the
 * real openai SDK: each fault has the effect on the client that the fault suite relies on, and the upstream
 * frees what it held whatever the fault.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SimServer, startSimServer } from "../../src/sim/index.js";
import { type Fault, type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import { waitFor } from "../support/wait.js";

let sim: SimServer;
let proxy: FaultProxy;
let client: OpenAI;
beforeAll(async () => {
  sim = await startSimServer({ timeScale: 100 });
  proxy = await startFaultProxy(sim.url);
  client = new OpenAI({ baseURL: proxy.baseURL, apiKey: "sim", maxRetries: 0, timeout: 2_000 });
});
afterAll(async () => {
  await proxy?.close();
  await sim?.close();
});

const always = (fault: Fault) => proxy.setChooser(() => fault);

async function streamOnce(): Promise<{ chunks: number; finish: string | null; error: unknown }> {
  let chunks = 0;
  let finish: string | null = null;
  try {
    const stream = await client.chat.completions.create({
      model: "sim",
      messages: [{ role: "user", content: "Tell me something." }],
      max_tokens: 40,
      stream: true,
    });
    for await (const chunk of stream) {
      chunks++;
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    return { chunks, finish, error: undefined };
  } catch (error) {
    return { chunks, finish, error };
  }
}

const idle = () =>
  waitFor(
    () => proxy.openUpstream === 0 && sim.engine.stats().running === 0 && sim.engine.stats().waiting === 0,
  );

describe("startFaultProxy()", () => {
  it("pass: the stream completes with its finish reason", async () => {
    always({ kind: "pass" });
    const r = await streamOnce();
    expect(r.error).toBeUndefined();
    expect(r.finish).toBe("length");
  });

  it("status: 500 and 429 (with Retry-After) come from the proxy, the upstream never sees them", async () => {
    const before = sim.engine.stats().promptTokensTotal;
    always({ kind: "status", status: 500 });
    expect((await streamOnce()).error).toBeInstanceOf(OpenAI.InternalServerError);
    always({ kind: "status", status: 429, retryAfter: "1" });
    const limited = (await streamOnce()).error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(limited.headers?.get("retry-after")).toBe("1");
    expect(sim.engine.stats().promptTokensTotal).toBe(before);
  });

  it("reset after 3 events: the client's stream fails mid-way; the upstream request is aborted", async () => {
    always({ kind: "reset", afterEvents: 3 });
    const r = await streamOnce();
    expect(r.chunks).toBe(3);
    expect(r.error).toBeInstanceOf(Error);
    await idle();
  });

  it("truncate after 3 events: the stream ends cleanly without a finish reason or [DONE]", async () => {
    always({ kind: "truncate", afterEvents: 3 });
    const r = await streamOnce();
    expect(r.chunks).toBe(3);
    expect(r.finish).toBeNull();
    await idle();
  });

  it("stall forever: the client times out; the upstream is freed when it leaves", async () => {
    always({ kind: "stall", afterEvents: 1, ms: Number.POSITIVE_INFINITY });
    const quick = new OpenAI({ baseURL: proxy.baseURL, apiKey: "sim", maxRetries: 0, timeout: 300 });
    const error = await quick.chat.completions
      .create({ model: "sim", messages: [{ role: "user", content: "Hello" }], max_tokens: 20 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    await waitFor(() => proxy.attempts.at(-1)?.fault.kind === "stall");
    expect(proxy.attempts.at(-1)?.outcome).toBe("client-left");
    await idle();
  });

  it("a finite stall delays the stream, then it completes", async () => {
    always({ kind: "stall", afterEvents: 2, ms: 150 });
    const start = performance.now();
    const r = await streamOnce();
    expect(r.error).toBeUndefined();
    expect(r.finish).toBe("length");
    expect(performance.now() - start).toBeGreaterThanOrEqual(140);
  });

  it("non-streaming: truncate gives the client an unparsable body, reset a connection error", async () => {
    const ask = () =>
      client.chat.completions
        .create({ model: "sim", messages: [{ role: "user", content: "Hi" }], max_tokens: 8 })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
    always({ kind: "truncate", afterEvents: 0 });
    expect(await ask()).toBeInstanceOf(Error);
    always({ kind: "reset", afterEvents: 0 });
    expect(await ask()).toBeInstanceOf(OpenAI.APIConnectionError);
    always({ kind: "pass" });
    expect(await ask()).toBeUndefined();
    await idle();
  });

  it("records each attempt with its call key and the SDK's retry counter", async () => {
    let n = 0;
    proxy.setChooser(() => (n++ < 2 ? { kind: "status", status: 503 } : { kind: "pass" }));
    const from = proxy.attempts.length;
    const retrying = new OpenAI({ baseURL: proxy.baseURL, apiKey: "sim", maxRetries: 2 });
    await retrying.chat.completions.create({
      model: "sim",
      messages: [{ role: "user", content: "retry me" }],
      max_tokens: 4,
    });
    const mine = proxy.attempts.slice(from);
    expect(mine.map((a) => a.retryCount)).toEqual(["0", "1", "2"]);
    expect(new Set(mine.map((a) => a.callKey)).size).toBe(1);
  });
});
