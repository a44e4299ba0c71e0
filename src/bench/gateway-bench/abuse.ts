/**
 * `bench:gateway -- --abuse`: what hostile clients and upstreams cost the gateway's process (docs/limits.md).
 * - Abandoned runs: clients send `runs` streaming calls with 400 KiB prompts (each a distinct run) to a
 *   gateway whose upstream never answers, and go away once the upstream has the request; reported: the
 *   gateway's largest heap meanwhile and its runs and retained bytes afterwards (target: heap < 200 MB for
 *   10,000 runs).
 * - One endless SSE line: an upstream answers with one 24 MiB `data:` line; reported: how the call ended and
 *   the longest event-loop stall in the gateway meanwhile (target < 50 ms), with the default 1 MiB event cap
 *   and with the cap raised above the line (the event then forwarded whole).
 */
import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { listen } from "../../wire/http.js";

const CHILD = fileURLToPath(new URL("./abuse-child.ts", import.meta.url));

interface Stats {
  heapMaxMB: number;
  heapNowMB: number;
  eventLoopMaxMs: number;
  activeRuns: number;
  retainedRunBytes: number;
}

async function withUpstream<T>(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  body: (url: string) => Promise<T>,
): Promise<T> {
  const server = createServer(handler);
  const { url } = await listen(server, 0, "127.0.0.1");
  try {
    return await body(`${url}/v1`);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

async function withGateway<T>(
  upstream: string,
  options: Record<string, unknown>,
  body: (port: number, stats: () => Promise<Stats>, reset: () => Promise<void>) => Promise<T>,
): Promise<T> {
  const child = spawn(
    process.execPath,
    ["--expose-gc", "--import", "tsx", CHILD, upstream, JSON.stringify(options)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const [port, statsPort] = await new Promise<number[]>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`abuse child exited with ${code}`)));
    child.stdout?.once("data", (d: Buffer) => resolve(d.toString().trim().split(" ").map(Number)));
  });
  const statsUrl = `http://127.0.0.1:${statsPort}/`;
  try {
    return await body(
      port as number,
      async () => (await (await fetch(statsUrl)).json()) as Stats,
      async () => void (await fetch(statsUrl, { method: "POST" })),
    );
  } finally {
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  }
}

/** `runs` clients' calls with `promptBytes` prompts, each abandoned once the upstream holds it. */
export async function abandonedRuns(runs: number, promptBytes: number, concurrency = 16) {
  const waiting = new Map<string, () => void>();
  return withUpstream(
    (req) => {
      // The gateway forwards the body, not the client's headers: the run's number leads its prompt.
      let head = "";
      req.on("data", (chunk: Buffer) => {
        if (head.length > 256) return;
        head += chunk.subarray(0, 256).toString("latin1");
        const id = /run (\d+):/.exec(head)?.[1];
        if (id !== undefined) waiting.get(id)?.();
      });
    },
    (upstream) =>
      withGateway(upstream, {}, async (port, stats, reset) => {
        await reset();
        const filler = "w".repeat(promptBytes);
        let next = 0;
        const started = performance.now();
        const worker = async () => {
          for (let i = next++; i < runs; i = next++) {
            const id = String(i);
            const abort = new AbortController();
            const held = new Promise<void>((resolve) => waiting.set(id, resolve));
            const call = fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({
                model: "m",
                stream: true,
                messages: [{ role: "user", content: `run ${i}: ${filler}` }],
              }),
              signal: abort.signal,
            }).catch(() => undefined);
            await held;
            waiting.delete(id);
            abort.abort();
            await call;
          }
        };
        await Promise.all(Array.from({ length: concurrency }, worker));
        const wallS = (performance.now() - started) / 1000;
        await new Promise((r) => setTimeout(r, 200));
        return { runs, promptBytes, wallS, ...(await stats()) };
      }),
  );
}

/** An upstream that answers with one `lineBytes` SSE line; the gateway's longest stall meanwhile. */
export async function endlessSseLine(lineBytes: number, maxSseEventBytes?: number) {
  return withUpstream(
    (req, res) => {
      req.resume();
      if (!req.url?.endsWith("/chat/completions")) return void res.writeHead(200).end();
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write('data: {"choices":[{"index":0,"delta":{"content":"');
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      const pump = () => {
        while (sent < lineBytes && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end('"},"finish_reason":null}]}\n\ndata: [DONE]\n\n');
      };
      pump();
    },
    (upstream) =>
      withGateway(
        upstream,
        maxSseEventBytes === undefined ? {} : { maxSseEventBytes },
        async (port, stats, reset) => {
          const call = async () => {
            const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "x" }] }),
            });
            return { status: res.status, received: (await res.arrayBuffer()).byteLength };
          };
          await call(); // warm-up: the first call compiles the gateway's code paths
          // The stall an idle gateway sees over a second here (the shared host's scheduling noise).
          await reset();
          await new Promise((r) => setTimeout(r, 1000));
          const idleStallMs = (await stats()).eventLoopMaxMs;
          await reset();
          const started = performance.now();
          const answer = await call();
          const ms = performance.now() - started;
          const s = await stats();
          return {
            lineBytes,
            maxSseEventBytes: maxSseEventBytes ?? 1024 * 1024,
            ...answer,
            ms,
            idleStallMs,
            ...s,
          };
        },
      ),
  );
}
