/**
 * The processes of `bench:gateway`: a simulator server and a gateway in front of it, each in a child process
 * of its own, so that neither shares an event loop with the client load that measures them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const SIM_CHILD = fileURLToPath(new URL("../sim-bench/http-server-child.ts", import.meta.url));
const GATEWAY_CHILD = fileURLToPath(new URL("./gateway-child.ts", import.meta.url));

export interface Child {
  port: number;
  stop(): Promise<void>;
}

async function start(script: string, args: string[]): Promise<Child> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code}`)));
    child.stdout?.once("data", (data: Buffer) => resolve(Number(data.toString().trim())));
  });
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** A simulator whose scripted answer to the bench prompt has `tokens` tokens, `timeScale` x faster than a GPU. */
export function startSimChild(tokens: number, timeScale: number): Promise<Child> {
  return start(SIM_CHILD, [String(tokens), String(timeScale)]);
}

export function startGatewayChild(upstreamPorts: readonly number[]): Promise<Child> {
  return start(
    GATEWAY_CHILD,
    upstreamPorts.map((port) => `http://127.0.0.1:${port}/v1`),
  );
}
