/**
 * SSE from an upstream is held one event at a time, linearly and within a cap (issue 24): an upstream that
 * sends one endless line fails the call cleanly instead of growing the gateway's memory and blocking it
 * (before: `Buffer.concat` of everything held on every chunk, no cap; a 24 MiB line blocked `/health` for
 * 8-12 s). The upstream here is a small server written for the purpose (a simulator never misbehaves so).
 */
import { createServer } from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Gateway, startGateway } from "../../src/gateway/index.js";
import { listen } from "../../src/wire/http.js";
import { SseEventTooLargeError, SseSplitter } from "../../src/wire/sse.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  vi.restoreAllMocks();
});

describe("SseSplitter bounds", () => {
  it("an event spread over many chunks is copied once, when it ends; events within a chunk are views", () => {
    const splitter = new SseSplitter(1 << 20);
    const concat = vi.spyOn(Buffer, "concat");
    const part = Buffer.alloc(4096, 0x61);
    const payload = Buffer.concat([Buffer.from("data: "), ...Array.from({ length: 100 }, () => part)]);
    concat.mockClear();
    for (let i = 0; i < payload.length; i += 1000)
      expect(splitter.push(payload.subarray(i, i + 1000))).toEqual([]);
    expect(splitter.pending).toBe(payload.length);
    const events = splitter.push(Buffer.from("\n\ndata: b\n\n"));
    expect(concat).toHaveBeenCalledTimes(1);
    expect(events.map((e) => e.length)).toEqual([payload.length + 2, 9]);
    expect(events[0]?.subarray(0, payload.length).equals(payload)).toBe(true);
  });

  it("an event past the cap throws SseEventTooLargeError before more than the cap plus one chunk is held", () => {
    const cap = 64 * 1024;
    const splitter = new SseSplitter(cap);
    const chunk = Buffer.alloc(8192, 0x61);
    expect(splitter.push(Buffer.from("data: ok\n\ndata: "))).toHaveLength(1);
    let pushed = 0;
    expect(() => {
      for (;;) {
        splitter.push(chunk);
        pushed += chunk.length;
        expect(splitter.pending).toBeLessThanOrEqual(cap);
        if (pushed > 24 * 1024 * 1024) break;
      }
    }).toThrow(SseEventTooLargeError);
    expect(pushed).toBeLessThanOrEqual(cap);
  });
});

describe("an upstream that streams one endless SSE line", () => {
  async function hostileUpstream(lineBytes: number, headFirst: boolean): Promise<string> {
    const server = createServer((req, res) => {
      req.resume();
      if (req.url === "/health" || req.url === "/metrics") return void res.writeHead(200).end();
      res.writeHead(200, { "content-type": "text/event-stream" });
      if (headFirst)
        res.write('data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n');
      res.write('data: {"choices":[{"delta":{"content":"');
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      const pump = () => {
        while (sent < lineBytes && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
    });
    const { url } = await listen(server, 0, "127.0.0.1");
    cleanups.push(() => new Promise((r) => server.close(r)).then(() => server.closeAllConnections()));
    return url;
  }

  async function gatewayTo(url: string): Promise<Gateway> {
    const g = await startGateway({
      upstreams: [`${url}/v1`],
      port: 0,
      maxSseEventBytes: 1024 * 1024,
      logger: { warn: () => {} },
    });
    cleanups.push(() => g.close());
    return g;
  }

  const streamBody = JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }], stream: true });

  it("before the first event: 502 upstream_failed naming the cap; /health answers meanwhile; nothing held", async () => {
    const g = await gatewayTo(await hostileUpstream(24 * 1024 * 1024, false));
    const call = fetch(`${g.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: streamBody,
    });
    expect((await fetch(`${g.url}/health`)).status).toBe(200);
    const res = await call;
    expect(res.status).toBe(502);
    const json = (await res.json()) as { error: { code: string; message: string } };
    expect(json.error.code).toBe("upstream_failed");
    expect(json.error.message).toMatch(/SSE event is larger than 1048576 bytes/);
    expect(g.replicas()[0]).toMatchObject({ inFlightCalls: 0, inFlightTokens: 0, queued: 0 });
  });

  it("after the first event: the stream ends with an OpenAI error event", async () => {
    const g = await gatewayTo(await hostileUpstream(24 * 1024 * 1024, true));
    const res = await fetch(`${g.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: streamBody,
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^data: \{"choices"/);
    expect(text).toMatch(
      /data: \{"error":\{"message":"replica 0 failed mid-stream: an SSE event is larger than/,
    );
    expect(text.length).toBeLessThan(4096);
    expect(g.replicas()[0]).toMatchObject({ inFlightCalls: 0, inFlightTokens: 0 });
  });
});
