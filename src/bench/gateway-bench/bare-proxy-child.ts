/**
 * Child process of `bench:gateway`: the yardstick of the gateway's cost, a bare pass-through proxy on the
 * same Node and the same HTTP client (undici, a keep-alive `Pool`), with no scheduling, no parsing and no
 * metrics: it forwards the request body and streams the upstream's answer back as it comes. Prints its
 * port, exits on SIGTERM.
 */
import { createServer } from "node:http";
import { Pool } from "undici";

const upstream = new URL(process.argv[2] ?? "http://127.0.0.1:8000/v1");
const pool = new Pool(upstream.origin, { connections: 4096, pipelining: 1, keepAliveTimeout: 30_000 });
const prefix = upstream.pathname.replace(/\/+$/, "").replace(/\/v1$/, "");

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    pool
      .request({
        path: `${prefix}${req.url ?? "/"}`,
        method: req.method === "POST" ? "POST" : "GET",
        headers: { "content-type": "application/json" },
        ...(req.method === "POST" ? { body: Buffer.concat(chunks) } : {}),
      })
      .then(async (upstreamRes) => {
        const type = upstreamRes.headers["content-type"];
        res.writeHead(upstreamRes.statusCode, typeof type === "string" ? { "content-type": type } : {});
        for await (const part of upstreamRes.body) {
          if (!res.write(part)) await new Promise((r) => res.once("drain", r));
        }
        res.end();
      })
      .catch(() => res.destroy());
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`${typeof address === "object" && address !== null ? address.port : 0}\n`);
});
process.once("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
  void pool.destroy().then(() => process.exit(0));
});
