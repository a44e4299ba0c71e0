/**
 * Operator safety (issue 24): credentials in upstream URLs (used, never logged), an upstream's error relayed
 * as itself, slow clients dropped within the configured limits, JSON bodies only, a loud warning when an
 * open gateway binds a non-loopback address, the upstream header time-out's default. Real HTTP on
 * 127.0.0.1: simulator replicas, and small servers written here where a replica must misbehave (a simulator
 * cannot be told to demand a password or to answer 500).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { MetricsPoller } from "../../src/backend/poller.js";
import { redactCredentials, splitCredentials } from "../../src/backend/redact.js";
import { type Gateway, startGateway } from "../../src/gateway/index.js";
import { parseGatewayOptions } from "../../src/gateway/options.js";
import { clientTimeouts } from "../../src/gateway/server.js";
import { type SimServer, startSimServer } from "../../src/sim/index.js";
import { listen } from "../../src/wire/http.js";
import { waitFor } from "./helpers.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  const { url } = await listen(server, 0, "127.0.0.1");
  cleanups.push(() => new Promise((r) => server.close(r)).then(() => server.closeAllConnections()));
  return { server, url };
}

async function gateway(options: Parameters<typeof startGateway>[0]): Promise<Gateway> {
  const g = await startGateway({
    port: 0,
    metricsPollIntervalMs: 100,
    healthProbeIntervalMs: 100,
    ...options,
  });
  cleanups.push(() => g.close());
  return g;
}

const chat = (content: string) =>
  JSON.stringify({ model: "sim", messages: [{ role: "user", content }], max_tokens: 4 });

/** POSTs `body` declared as `contentType` (`null`: no Content-Type at all, as a typeless Blob is sent). */
const post = (g: Gateway, body: string, contentType: string | null = "application/json") =>
  fetch(`${g.baseURL}/chat/completions`, {
    method: "POST",
    headers: contentType === null ? {} : { "content-type": contentType },
    body: contentType === null ? new Blob([body]) : body,
  });

describe("credentials in upstream URLs", () => {
  it("redactCredentials() masks user:pass@ in any text; splitCredentials() turns them into Basic auth", () => {
    expect(redactCredentials("cannot read http://bob:s3cret@10.0.0.1:8000/metrics (x)")).toBe(
      "cannot read http://***@10.0.0.1:8000/metrics (x)",
    );
    expect(redactCredentials("https://tok@h/v1 and http://a:b@c")).toBe("https://***@h/v1 and http://***@c");
    expect(redactCredentials("no url here, just user@example.com")).toBe(
      "no url here, just user@example.com",
    );
    const split = splitCredentials("http://bob:p%40ss@127.0.0.1:9/v1");
    expect(split.url).toBe("http://127.0.0.1:9/v1");
    expect(split.authorization).toBe(`Basic ${Buffer.from("bob:p@ss").toString("base64")}`);
    expect(splitCredentials("http://127.0.0.1:9").authorization).toBeUndefined();
  });

  it("are sent to the replica (completions and /metrics) and never appear in a log line", async () => {
    const sim: SimServer = await startSimServer({ timeScale: 100 });
    cleanups.push(() => sim.close());
    const expected = `Basic ${Buffer.from("bob:s3cret").toString("base64")}`;
    const seen: string[] = [];
    // A replica behind basic auth: a pass-through to the simulator that demands the credentials.
    const guard = await serve((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization === expected ? "auth" : "none"}`);
      if (req.headers.authorization !== expected) return void res.writeHead(401).end();
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const upstream = await fetch(`${sim.url}${req.url}`, {
          method: req.method,
          headers: { "content-type": "application/json" },
          ...(req.method === "POST" ? { body: Buffer.concat(chunks) } : {}),
        });
        res.writeHead(upstream.status, {
          "content-type": upstream.headers.get("content-type") ?? "text/plain",
        });
        res.end(Buffer.from(await upstream.arrayBuffer()));
      });
    });
    const port = new URL(guard.url).port;
    const logs: string[] = [];
    const g = await gateway({
      // The second replica is down from the start: its warnings quote its URL.
      upstreams: [`http://bob:s3cret@127.0.0.1:${port}/v1`, "http://eve:t0ps3cret@127.0.0.1:1/v1"],
      logger: { warn: (m) => logs.push(m) },
    });
    for (let i = 0; i < 4; i++) expect((await post(g, chat(`hello ${i}`))).status).toBe(200);
    await waitFor(() => seen.some((s) => s.startsWith("GET /metrics auth")));
    expect(seen.filter((s) => s.endsWith("none"))).toEqual([]);
    expect(seen.some((s) => s.startsWith("POST /v1/chat/completions auth"))).toBe(true);
    // The replica's metrics were read: the gateway shows its server gauges.
    await waitFor(async () =>
      /augserve_gateway_server_kv_usage\{replica="0"\}/.test(await (await fetch(g.metricsUrl)).text()),
    );
    await waitFor(() => logs.length > 0);
    const all = logs.join("\n");
    expect(all).not.toMatch(/s3cret|t0ps3cret|bob:|eve:/);
    expect(all).toMatch(/\*\*\*@127\.0\.0\.1:1/);
  });

  it("MetricsPoller: fetches without credentials in the URL (fetch refuses them), with Basic auth, and never logs them", async () => {
    const calls: { url: string; auth: string | null }[] = [];
    const logs: string[] = [];
    const poller = new MetricsPoller({
      url: "http://bob:s3cret@127.0.0.1:1/metrics",
      onSignals: () => {},
      logger: { warn: (m) => logs.push(m) },
      fetch: (async (url: string | URL | Request, init?: RequestInit) => {
        calls.push({ url: String(url), auth: new Headers(init?.headers).get("authorization") });
        throw new TypeError(`fetch failed for ${String(url)}`);
      }) as typeof fetch,
    });
    const outcome = await poller.pollOnce();
    expect(outcome.ok).toBe(false);
    expect(calls).toEqual([
      { url: "http://127.0.0.1:1/metrics", auth: `Basic ${Buffer.from("bob:s3cret").toString("base64")}` },
    ]);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/http:\/\/\*\*\*@127\.0\.0\.1:1\/metrics/);
    expect(logs[0]).not.toMatch(/s3cret/);
  });

  it("an invalid upstream option's error masks the credentials it quotes", () => {
    expect(() => parseGatewayOptions({ upstreams: ["ftp://bob:s3cret@h/v1"] })).toThrow(/\*\*\*@h/);
    try {
      parseGatewayOptions({ upstreams: ["ftp://bob:s3cret@h/v1"] });
    } catch (error) {
      expect(String((error as Error).message)).not.toMatch(/s3cret/);
    }
  });
});

describe("an upstream's error is returned as that error", () => {
  it("one replica answering 500: the client gets the 500 and its body, not 503 no_healthy_upstream", async () => {
    const body = JSON.stringify({
      error: { message: "CUDA out of memory", type: "server_error", code: null },
    });
    const broken = await serve((req, res) => {
      req.resume();
      if (req.url?.endsWith("/chat/completions"))
        res.writeHead(500, { "content-type": "application/json" }).end(body);
      else res.writeHead(200).end();
    });
    const g = await gateway({ upstreams: [`${broken.url}/v1`], ejectAfterFailures: 100 });
    for (const stream of [false, true]) {
      const res = await post(
        g,
        JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }], stream }),
      );
      expect(res.status).toBe(500);
      expect(await res.text()).toBe(body);
    }
  });
});

describe("slow clients are dropped within the configured limits", () => {
  it("clientTimeouts(): Node's check interval and limits never let a client past the documented limit", () => {
    for (const [headersTimeoutMs, requestTimeoutMs] of [
      [60_000, 120_000],
      [500, 800],
      [100, 100],
    ] as const) {
      const t = clientTimeouts({ headersTimeoutMs, requestTimeoutMs });
      expect(t.headersTimeout + t.connectionsCheckingInterval).toBeLessThanOrEqual(headersTimeoutMs);
      expect(t.requestTimeout + t.connectionsCheckingInterval).toBeLessThanOrEqual(requestTimeoutMs);
      expect(t.headersTimeout).toBeGreaterThan(0);
    }
    expect(() =>
      parseGatewayOptions({ upstreams: ["http://h"], headersTimeoutMs: 5000, requestTimeoutMs: 1000 }),
    ).toThrow(/requestTimeoutMs/);
  });

  /** Opens a raw connection, writes `first`, then trickles `drip` every 50 ms; resolves when the server closes it. */
  function trickle(url: string, first: string, drip: string): Promise<void> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve) => {
      const socket = connect(Number(port), hostname, () => socket.write(first));
      const timer = setInterval(() => socket.writable && socket.write(drip), 50);
      socket.on("data", () => {});
      socket.on("error", () => {});
      socket.on("close", () => {
        clearInterval(timer);
        resolve();
      });
      cleanups.push(async () => {
        clearInterval(timer);
        socket.destroy();
      });
    });
  }

  it("headers that never end (slowloris) and a chunked body that never ends are cut off", async () => {
    const sim = await startSimServer({ timeScale: 100 });
    cleanups.push(() => sim.close());
    const g = await gateway({ upstreams: [sim.baseURL], headersTimeoutMs: 600, requestTimeoutMs: 900 });
    // Behaviour, not speed: both connections are closed by the server while the client is still sending
    // (before, Node's 30 s check interval and its 60 s / 120 s defaults held them for minutes).
    const slowHeaders = trickle(g.url, "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n", "x-a: b\r\n");
    const slowBody = trickle(
      g.url,
      "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
      "1\r\n \r\n",
    );
    const outcome = await Promise.race([
      Promise.all([slowHeaders, slowBody]).then(() => "closed"),
      new Promise((r) => setTimeout(() => r("still open"), 20_000)),
    ]);
    expect(outcome).toBe("closed");
    expect((await fetch(`${g.url}/health`)).status).toBe(200);
  });
});

describe("bodies are JSON only", () => {
  it("415 for text/plain, forms and typeless bodies (what a web page may POST without a preflight); JSON with charset is fine", async () => {
    const sim = await startSimServer({ timeScale: 100 });
    cleanups.push(() => sim.close());
    const g = await gateway({ upstreams: [sim.baseURL] });
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      null,
    ]) {
      const res = await post(g, chat("hi"), type);
      expect({ type, status: res.status }).toEqual({ type, status: 415 });
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unsupported_media_type");
    }
    expect((await post(g, chat("hi"), "application/json; charset=utf-8")).status).toBe(200);
    expect((await post(g, chat("hi"), "Application/JSON")).status).toBe(200);
  });
});

describe("defaults an operator can live with", () => {
  it("warns loudly when an open gateway binds a non-loopback address; not on loopback, not with keys", async () => {
    const sim = await startSimServer({ timeScale: 100 });
    cleanups.push(() => sim.close());
    const logs: string[] = [];
    const logger = { warn: (m: string) => logs.push(m) };
    await gateway({ upstreams: [sim.baseURL], logger });
    await gateway({ upstreams: [sim.baseURL], logger, host: "0.0.0.0", apiKeys: ["k-12345678"] });
    expect(logs.filter((l) => l.includes("WARNING"))).toEqual([]);
    await gateway({ upstreams: [sim.baseURL], logger, host: "0.0.0.0" });
    expect(logs.filter((l) => l.includes("WARNING"))).toHaveLength(1);
    expect(logs.join("\n")).toMatch(/not a loopback address, WITHOUT client keys/);
  });

  it("the upstream header time-out defaults to 60 s (was 600 s), client limits to 60 s and 120 s", () => {
    const o = parseGatewayOptions({ upstreams: ["http://127.0.0.1:8000/v1"] });
    expect(o.upstreamHeadersTimeoutMs).toBe(60_000);
    expect(o.headersTimeoutMs).toBe(60_000);
    expect(o.requestTimeoutMs).toBe(120_000);
  });
});
