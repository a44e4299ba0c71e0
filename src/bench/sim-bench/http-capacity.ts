/**
 * HTTP capacity: `streams` concurrent streaming completions against a simulator server in a child process.
 * Counts the streams held open at once (status 200 received, not yet ended) and SSE chunks per second.
 */
import { spawn } from "node:child_process";
import { Agent, request } from "node:http";
import { fileURLToPath } from "node:url";

export interface HttpCapacity {
  httpStreamsHeld: number;
  httpChunksPerSecond: number;
  streams: number;
  completed: number;
  failed: number;
  chunks: number;
  wallSeconds: number;
}

const CHILD = fileURLToPath(new URL("./http-server-child.ts", import.meta.url));
const PROMPT = "bench: stream a long answer";

export async function measureHttpCapacity(
  streams = 1200,
  tokens = 200,
  timeScale = 2,
): Promise<HttpCapacity> {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, String(tokens), String(timeScale)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (code) => reject(new Error(`server child exited with ${code}`)));
      child.stdout.once("data", (data: Buffer) => resolve(Number(data.toString().trim())));
    });
    const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
    const body = JSON.stringify({
      model: "sim",
      messages: [{ role: "user", content: PROMPT }],
      stream: true,
    });
    let open = 0;
    let held = 0;
    let chunks = 0;
    let completed = 0;
    let failed = 0;
    const start = performance.now();
    const one = () =>
      new Promise<void>((resolve) => {
        const req = request(
          { host: "127.0.0.1", port, path: "/v1/chat/completions", method: "POST", agent },
          (res) => {
            if (res.statusCode !== 200) {
              failed++;
              res.resume();
              resolve();
              return;
            }
            open++;
            if (open > held) held = open;
            res.on("data", (data: Buffer) => {
              // Each SSE event ends with a blank line.
              for (let at = data.indexOf("\n\n"); at >= 0; at = data.indexOf("\n\n", at + 2)) chunks++;
            });
            res.on("end", () => {
              open--;
              completed++;
              resolve();
            });
          },
        );
        req.on("error", () => {
          failed++;
          resolve();
        });
        req.setHeader("content-type", "application/json");
        req.end(body);
      });
    await Promise.all(Array.from({ length: streams }, one));
    const wallSeconds = (performance.now() - start) / 1000;
    agent.destroy();
    return {
      httpStreamsHeld: held,
      httpChunksPerSecond: chunks / wallSeconds,
      streams,
      completed,
      failed,
      chunks,
      wallSeconds,
    };
  } finally {
    child.kill("SIGTERM");
  }
}
