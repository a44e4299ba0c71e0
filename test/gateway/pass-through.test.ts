/**
 * Pass-through (issue 24): the client receives the upstream's SSE bytes as they were sent, however the reads
 * cut them, and the scheduler hears the first token at once and every token in the end (reports after the
 * first are batched). The upstream is a small server written here, to cut its bytes at chosen places.
 */
import { createServer } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { startGateway } from "../../src/gateway/index.js";
import { ReplyObserver } from "../../src/gateway/reply.js";
import type { CallContext } from "../../src/scheduler/types.js";
import { listen } from "../../src/wire/http.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const content = (t: string) =>
  `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":${JSON.stringify(t)}},"logprobs":null,"finish_reason":null}]}\n\n`;

describe("pass-through", () => {
  it("the client gets the upstream's bytes unchanged, cut anywhere, with \\r\\n line ends and comments", async () => {
    const events = [
      'data: {"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n',
      ...Array.from({ length: 40 }, (_, i) => content(`tok${i} é`)),
      ": keep-alive\r\n\r\n",
      'data: {"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n',
      "data: [DONE]\n\n",
    ];
    const bytes = Buffer.from(events.join(""));
    const server = createServer((req, res) => {
      req.resume();
      if (!req.url?.endsWith("/chat/completions")) return void res.writeHead(200).end();
      res.writeHead(200, { "content-type": "text/event-stream" });
      // Odd cuts: inside events, inside a multi-byte character, inside a blank line.
      let at = 0;
      const step = () => {
        if (at >= bytes.length) return void res.end();
        const size = 1 + ((at * 7919) % 97);
        res.write(bytes.subarray(at, at + size));
        at += size;
        setImmediate(step);
      };
      step();
    });
    const { url } = await listen(server, 0, "127.0.0.1");
    cleanups.push(() => new Promise((r) => server.close(r)).then(() => server.closeAllConnections()));
    const g = await startGateway({ upstreams: [`${url}/v1`], port: 0, logger: { warn: () => {} } });
    cleanups.push(() => g.close());
    const res = await fetch(`${g.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      // stream_options given: the gateway asks nothing itself, so the stream must come back byte for byte.
      body: JSON.stringify({
        messages: [{ role: "user", content: "x" }],
        stream: true,
        stream_options: { include_usage: false },
      }),
    });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it("ReplyObserver: the first token is reported at once, later ones batched, all of them by the final flush", () => {
    const reports: number[] = [];
    const ctx = { onTokens: (n: number) => reports.push(n) } as unknown as CallContext;
    const observer = new ReplyObserver(ctx);
    for (let i = 0; i < 50; i++) {
      expect(observer.event(Buffer.from(content(`t${i}`)))).toBe(false);
      observer.flushTokens();
    }
    expect(reports[0]).toBe(1);
    observer.event(Buffer.from("data: [DONE]\n\n"));
    observer.flushTokens(true);
    expect(reports.reduce((a, b) => a + b, 0)).toBe(50);
    expect(observer.done).toBe(true);
    expect(observer.chunks).toBe(50);
  });
});
