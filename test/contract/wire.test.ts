/**
 * The shared OpenAI wire layer (src/wire/): the JSON depth scan, the SSE splitter and the listener's error
 * boundary, over real HTTP on 127.0.0.1 where a listener is involved.
 */
import { createServer, type Server } from "node:http";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  chatCompletionBodySchema,
  chatCompletionRoute,
  findExcessNesting,
  listen,
  openAIRequestListener,
  type Route,
  SseSplitter,
  sseData,
  WireRequestError,
} from "../../src/wire/index.js";

/** Depth of a parsed JSON value (the body itself is depth 1), as the scan defines it. */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (typeof value === "object" && value !== null)
    return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

describe("findExcessNesting()", () => {
  it("agrees with the depth of the parsed value, brackets inside strings and escapes included", () => {
    const tricky = fc.constantFrom('"[[["', '"\\"{"', '"\\\\"', '"}]"', "{}", "[]");
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        fc.jsonValue({ maxDepth: 2 }),
        tricky.map((t) => JSON.parse(t) as unknown),
        fc.array(tie("node"), { maxLength: 3 }),
        fc.dictionary(fc.string({ maxLength: 4 }), tie("node"), { maxKeys: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 8 }), (v, limit) => {
        const bytes = Buffer.from(JSON.stringify(v));
        expect(findExcessNesting(bytes, limit) >= 0).toBe(depthOf(v) > limit);
      }),
      { numRuns: 400 },
    );
  });

  it("stops at the first byte past the limit, in linear time on a 4 MiB body", () => {
    expect(findExcessNesting(Buffer.from('{"a":[[1]]}'), 2)).toBe(6);
    const deep = Buffer.from("[".repeat(4 * 1024 * 1024));
    expect(findExcessNesting(deep, 64)).toBe(64);
    const flat = Buffer.from(`[${'"x",'.repeat(1_000_000)}1]`);
    expect(findExcessNesting(flat, 64)).toBe(-1);
  });
});

describe("SseSplitter", () => {
  it("yields the same events however the bytes are cut", () => {
    const event = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }).map((v) => `data: ${JSON.stringify(v)}\n\n`),
      fc.constantFrom(
        "data: [DONE]\n\n",
        ": comment\r\n\r\n",
        "event: x\rdata: y\r\r",
        "data: a\ndata: b\n\n",
      ),
    );
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (events, cuts) => {
          const bytes = Buffer.from(events.join(""));
          const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const splitter = new SseSplitter();
          const out: string[] = [];
          let from = 0;
          for (const to of [...at, bytes.length]) {
            for (const e of splitter.push(bytes.subarray(from, to))) out.push(e.toString());
            from = to;
          }
          expect(out).toEqual(events);
          expect(splitter.pending).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("sseData() - joins data lines; undefined for an event without data", () => {
    expect(sseData(Buffer.from("data: a\ndata: b\n\n"))).toBe("a\nb");
    expect(sseData(Buffer.from("data:[DONE]\n\n"))).toBe("[DONE]");
    expect(sseData(Buffer.from(": keep-alive\n\n"))).toBeUndefined();
  });
});

describe("chatCompletionRoute() - what a route is handed", () => {
  it("the parsed body keeps every field it does not know, and the raw bytes are the request's", async () => {
    const seen: { body?: unknown; raw?: Buffer } = {};
    const server = createServer(
      openAIRequestListener({
        onCompletion: chatCompletionRoute({
          limits: { maxBodyBytes: 1 << 20, maxJsonDepth: 64, schema: chatCompletionBodySchema(100) },
          handle: (body, res, raw) => {
            Object.assign(seen, { body, raw });
            res.writeHead(204).end();
          },
        }),
        model: { id: "m" },
        registry: { metrics: async () => "", contentType: "text/plain" },
      }),
    );
    const { url } = await listen(server, 0, "127.0.0.1");
    const text =
      '{"messages":[{"role":"user","content":"hi","x_note":{"deep":[1,{"k":null}]}}],"tools":[{"type":"function",' +
      '"function":{"name":"f","strict":true,"parameters":{"type":"object"}},"x_tool":1}],"response_format":' +
      '{"type":"json_schema"},"seed":12345678901234567890,"max_tokens":5}';
    const res = await fetch(`${url}/v1/chat/completions`, { method: "POST", body: text });
    await new Promise<void>((r) => server.close(() => r()));
    expect(res.status).toBe(204);
    expect(seen.raw?.toString()).toBe(text);
    expect(seen.body).toEqual(JSON.parse(text));
  });
});

describe("openAIRequestListener() - the error boundary", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  async function serve(onCompletion: Route, internal: unknown[] = []) {
    server = createServer(
      openAIRequestListener({
        onCompletion,
        model: { id: "m", object: "model" },
        registry: { metrics: () => Promise.reject(new Error("registry down")), contentType: "text/plain" },
        onInternalError: (error) => internal.push(error),
      }),
    );
    const { url } = await listen(server, 0, "127.0.0.1");
    const post = () => fetch(`${url}/v1/chat/completions`, { method: "POST", body: "{}" });
    return { url, post };
  }

  it("a synchronous throw and an async rejection answer 500 internal_error, reported once", async () => {
    const internal: unknown[] = [];
    let calls = 0;
    const { post } = await serve(async () => {
      calls += 1;
      if (calls === 1) throw new Error("sync bug");
      await Promise.resolve();
      throw new RangeError("async bug");
    }, internal);
    for (const res of [await post(), await post()]) {
      expect(res.status).toBe(500);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("internal_error");
    }
    expect(internal.map((e) => (e as Error).message)).toEqual(["sync bug", "async bug"]);
  });

  it("a WireRequestError answers its own status and fields, and is not reported", async () => {
    const internal: unknown[] = [];
    const { post } = await serve(() => {
      throw new WireRequestError(422, "bad x", { param: "x", code: "invalid_value" });
    }, internal);
    const res = await post();
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({
      error: { message: "bad x", type: "invalid_request_error", param: "x", code: "invalid_value" },
    });
    expect(internal).toEqual([]);
  });

  it("an error after the stream started destroys the connection: the client never sees a clean end", async () => {
    const { post } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write('data: {"partial":true}\n\n');
      return Promise.reject(new Error("mid-stream bug"));
    });
    const res = await post();
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });

  it("a failing /metrics registry answers 500 JSON; unknown routes 404 JSON; the server stays up", async () => {
    const { url } = await serve(() => {});
    expect((await fetch(`${url}/metrics`)).status).toBe(500);
    const missing = await fetch(`${url}/nope`, { method: "DELETE" });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { type: string } }).error.type).toBe("not_found_error");
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });
});
