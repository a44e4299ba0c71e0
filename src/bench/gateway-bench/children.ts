/**
 * The processes of `bench:gateway`: a simulator server and a gateway in front of it, each in a child process
 * of its own, so that neither shares an event loop with the client load that measures them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const SIM_CHILD = fileURLToPath(new URL("../sim-bench/http-server-child.ts", import.meta.url));
const GATEWAY_CHILD = fileURLToPath(new URL("./gateway-child.ts", import.meta.url));
const BARE_PROXY_CHILD = fileURLToPath(new URL("./bare-proxy-child.ts", import.meta.url));

export interface Child {
  port: number;
  /**
   * CPU time the process has used so far (user + system), ms, from /proc (Linux; `NaN` elsewhere). Clock-tick
   * resolution (10 ms): read it over many requests.
   */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** Clock ticks per second of /proc/PID/stat (USER_HZ: 100 on Linux). */
const TICKS_PER_S = 100;

function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command (which may hold spaces) start after the last ")": utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_S) * 1000;
  } catch {
    return Number.NaN;
  }
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
    cpuMs: () => cpuMsOf(child.pid),
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

/** The yardstick: a bare undici pass-through proxy (no scheduling) in front of one upstream. */
export function startBareProxyChild(upstreamPort: number): Promise<Child> {
  return start(BARE_PROXY_CHILD, [`http://127.0.0.1:${upstreamPort}/v1`]);
}
