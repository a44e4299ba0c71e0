/**
 * Faults through the gateway, with real replicas on 127.0.0.1 (simulators that are killed, clients that go
 * away, bodies that are wrong): the client gets a clean error, the budget is freed, traffic moves on.
 */
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { createScheduler } from "../../src/scheduler/index.js";
import { type Fleet, idle, startFleet, waitFor } from "./helpers.js";

const LONG = { firstUserMessage: "fault: a very long answer", rounds: [], finalOutputTokens: 50_000 };

let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

const clientOf = (f: Fleet) => new OpenAI({ baseURL: f.gateway.baseURL, apiKey: "unused", maxRetries: 0 });
const longStream = (client: OpenAI, signal?: AbortSignal, headers?: Record<string, string>) =>
  client.chat.completions.create(
    {
      model: "sim",
      messages: [{ role: "user", content: LONG.firstUserMessage }],
      stream: true,
      max_tokens: 50_000,
    },
    { ...(signal ? { signal } : {}), ...(headers ? { headers } : {}) },
  );

/** Which replica holds the one call in flight. */
function busyReplica(f: Fleet): number {
  return f.gateway.replicas().findIndex((r) => r.inFlightCalls > 0);
}

describe("gateway faults", () => {
  it("a replica killed mid-stream: the client gets a clean error, the budget is freed, new calls go to the other replica", async () => {
    fleet = await startFleet(2, {}, 20);
    fleet.register([LONG]);
    const client = clientOf(fleet);
    const stream = await longStream(client);
    let seen = 0;
    let killed = -1;
    const consume = async () => {
      for await (const _ of stream) {
        if (++seen === 3 && fleet) {
          killed = busyReplica(fleet);
          await fleet.sims[killed]?.close();
        }
      }
    };
    await expect(consume()).rejects.toThrow(/mid-stream|upstream/i);
    expect(killed).toBeGreaterThanOrEqual(0);
    await waitFor(() => (fleet ? idle(fleet.gateway) : false));
    expect(fleet.gateway.replicas()[killed]?.healthy).toBe(false);
    const survivor = 1 - killed;
    for (let i = 0; i < 4; i++) {
      const reply = await client.chat.completions.create({
        model: "sim",
        messages: [{ role: "user", content: `after the kill ${i}` }],
        max_tokens: 4,
      });
      expect(reply.choices[0]?.finish_reason).toBe("length");
    }
    const admitted = await (await fetch(fleet.gateway.metricsUrl)).text();
    expect(admitted).toContain(`augserve_gateway_admissions_total{replica="${survivor}"}`);
    expect(fleet.sims[survivor]?.engine.stats().finishedTotal).toBeGreaterThanOrEqual(4);
  });

  it("a call to a replica that is down before its first byte is retried once on the other replica", async () => {
    fleet = await startFleet(2, { placement: "round-robin" });
    await fleet.sims[0]?.close();
    const client = clientOf(fleet);
    for (let i = 0; i < 3; i++) {
      const reply = await client.chat.completions.create({
        model: "sim",
        messages: [{ role: "user", content: `retry me ${i}` }],
        max_tokens: 3,
      });
      expect(reply.choices[0]?.finish_reason).toBe("length");
    }
    const text = await (await fetch(fleet.gateway.metricsUrl)).text();
    expect(text).toMatch(/augserve_gateway_retries_total [1-9]/);
    expect(idle(fleet.gateway)).toBe(true);
  });

  it("no healthy replica: 503 with Retry-After and a JSON error; /health says 503", async () => {
    fleet = await startFleet(1);
    await fleet.sims[0]?.close();
    const post = () =>
      fetch(`${fleet?.gateway.baseURL}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ messages: [{ role: "user", content: "anyone?" }], max_tokens: 2 }),
      });
    const first = await post(); // fails to connect: the replica is ejected, the retry finds nobody
    expect([502, 503]).toContain(first.status);
    const res = await post();
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    const json = (await res.json()) as { error: { code: string; type: string } };
    expect(json.error).toMatchObject({ code: "no_healthy_upstream", type: "server_error" });
    expect((await fetch(`${fleet.gateway.url}/health`)).status).toBe(503);
  });

  it("a client disconnect aborts the upstream request and releases the budget at once", async () => {
    fleet = await startFleet(2, {}, 20);
    fleet.register([LONG]);
    const abort = new AbortController();
    const stream = await longStream(clientOf(fleet), abort.signal);
    let seen = 0;
    let busy = -1;
    try {
      for await (const _ of stream) {
        if (++seen === 3) {
          busy = busyReplica(fleet);
          abort.abort();
        }
      }
    } catch {
      // The SDK ends the iteration or throws an abort error: either is an abort.
    }
    expect(busy).toBeGreaterThanOrEqual(0);
    await waitFor(() => (fleet ? idle(fleet.gateway) : false), 2000);
    const engine = fleet.sims[busy]?.engine;
    await waitFor(() => engine?.stats().running === 0, 2000);
    expect(engine?.stats().abortedTotal).toBe(1);
  });

  it("a bad body gets 400 naming the field, a bad hint header 400 naming the header; the gateway stays up", async () => {
    fleet = await startFleet(1);
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${fleet?.gateway.baseURL}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
    const wrongType = await post(JSON.stringify({ messages: [{ role: "user", content: 5 }] }));
    expect(wrongType.status).toBe(400);
    expect(((await wrongType.json()) as { error: { param: string } }).error.param).toBe("messages.0.content");
    const badHint = await post(JSON.stringify({ messages: [{ role: "user", content: "hi" }] }), {
      "x-augserve-slo-ttft-ms": "soon",
    });
    expect(badHint.status).toBe(400);
    expect(((await badHint.json()) as { error: { param: string } }).error.param).toBe(
      "x-augserve-slo-ttft-ms",
    );
    const badPriority = await post(JSON.stringify({ messages: [{ role: "user", content: "hi" }] }), {
      "x-augserve-priority": "urgent",
    });
    expect(badPriority.status).toBe(400);
    const ok = await clientOf(fleet).chat.completions.create({
      model: "sim",
      messages: [{ role: "user", content: "still up?" }],
      max_tokens: 2,
    });
    expect(ok.choices[0]?.finish_reason).toBe("length");
    expect(idle(fleet.gateway)).toBe(true);
  });

  it("client keys: 401 without the key (constant-time check), 200 with it", async () => {
    fleet = await startFleet(1, { apiKeys: ["key-for-tests-1"] });
    const body = JSON.stringify({ messages: [{ role: "user", content: "hi" }], max_tokens: 2 });
    const url = `${fleet.gateway.baseURL}/chat/completions`;
    const none = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(none.status).toBe(401);
    const wrong = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer key-for-tests-2" },
      body,
    });
    expect(wrong.status).toBe(401);
    const right = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer key-for-tests-1" },
      body,
    });
    expect(right.status).toBe(200);
  });

  // The scheduler's shed mode (feat/overload) refuses a run that cannot start within its TTFT target with
  // AugServeOverloadedError; the gateway answers 429 with Retry-After. Runs once that mode is in.
  const shedAvailable = (() => {
    try {
      createScheduler({ overload: "shed" } as never);
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!shedAvailable)("429 with Retry-After under shed, and the gateway keeps serving", async () => {
    fleet = await startFleet(
      1,
      {
        scheduler: { overload: "shed", budget: { mode: "fixed", tokens: 64 } } as never,
        slo: { ttftMs: 50, normLatencyMsPerToken: 100 },
      },
      5,
    );
    fleet.register([LONG]);
    const client = clientOf(fleet);
    // The long stream that holds the budget may wait (a generous TTFT target); the others may not.
    const held = await longStream(client, undefined, { "x-augserve-slo-ttft-ms": "600000" });
    const iterator = held[Symbol.asyncIterator]();
    await iterator.next();
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fetch(`${fleet?.gateway.baseURL}/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            messages: [{ role: "user", content: `shed me ${i} ${"x".repeat(400)}` }],
            max_tokens: 50,
          }),
        }).then(async (res) => ({
          status: res.status,
          retryAfter: res.headers.get("retry-after"),
          body: await res.text(),
        })),
      ),
    );
    const refused = statuses.filter((s) => s.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(JSON.parse(r.body).error.type).toBe("rate_limit_error");
    }
    await iterator.return?.();
  });
});
