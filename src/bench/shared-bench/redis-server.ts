/**
 * A real `redis-server` for the fleet tests and `bench:shared`: found, or installed, then started on a loopback
 * port with a temporary directory and no persistence, and stopped by whoever started it.
 *
 * Finding the binary, in order: `AUGSERVE_REDIS_SERVER` (a path), `redis-server` or `valkey-server` on PATH,
 * `/usr/bin/redis-server`. When none is there and the process is root on a machine with `apt-get` (Debian, as
 * CI), Debian's `redis-server` package is installed (`apt-get update` + `apt-get install redis-server`), once
 * per machine even when several test files ask at once (a lock directory in the temp folder). Otherwise it
 * throws a message that says what to install (macOS: `brew install redis`). Never a mock.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const INSTALL_HINT =
  "The fleet tests need a real redis-server. Install it: Debian/Ubuntu `apt-get install -y redis-server` " +
  "(done automatically when running as root), macOS `brew install redis`, or set AUGSERVE_REDIS_SERVER to a " +
  "redis-server (or valkey-server) binary.";

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function findBinary(): string | undefined {
  const fromEnv = process.env.AUGSERVE_REDIS_SERVER;
  if (fromEnv !== undefined && fromEnv !== "") {
    if (!existsSync(fromEnv))
      throw new Error(`AUGSERVE_REDIS_SERVER=${fromEnv} does not exist. ${INSTALL_HINT}`);
    return fromEnv;
  }
  return (
    onPath("redis-server") ??
    onPath("valkey-server") ??
    (existsSync("/usr/bin/redis-server") ? "/usr/bin/redis-server" : undefined)
  );
}

/** Installs Debian's redis-server once per machine; concurrent callers wait on a lock directory. */
async function installWithApt(): Promise<void> {
  const lock = join(tmpdir(), "augserve-redis-install.lock");
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      // Another test file is installing; a lock older than 10 minutes is a leftover of a killed run.
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 600_000) await rm(lock, { recursive: true, force: true });
      if (findBinary() !== undefined) return;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for another redis-server install. ${INSTALL_HINT}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    if (findBinary() !== undefined) return;
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const lockWait = ["-o", "DPkg::Lock::Timeout=300"];
    await run("apt-get", [...lockWait, "update", "-qq"], { env, timeout: 300_000 });
    await run("apt-get", [...lockWait, "install", "-y", "-qq", "--no-install-recommends", "redis-server"], {
      env,
      timeout: 300_000,
    });
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** The redis-server binary: found, or installed with apt-get when root on Debian; throws what to install. */
export async function redisServerBinary(): Promise<string> {
  const found = findBinary();
  if (found !== undefined) return found;
  const isRoot = process.getuid?.() === 0;
  if (isRoot && onPath("apt-get") !== undefined) {
    try {
      await installWithApt();
    } catch (error) {
      throw new Error(
        `installing redis-server with apt-get failed: ${(error as Error).message}. ${INSTALL_HINT}`,
      );
    }
    const installed = findBinary();
    if (installed !== undefined) return installed;
  }
  throw new Error(`redis-server not found. ${INSTALL_HINT}`);
}

/** A free loopback port (redis-server cannot bind port 0 and report it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One redis-server process on 127.0.0.1, restartable on the same port. */
export class RedisServer {
  readonly port: number;
  readonly #binary: string;
  readonly #dir: string;
  #child: ChildProcess | null = null;

  private constructor(binary: string, port: number, dir: string) {
    this.#binary = binary;
    this.port = port;
    this.#dir = dir;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  /** Finds or installs the binary, picks a free port and a temporary directory, and starts the server. */
  static async start(): Promise<RedisServer> {
    const binary = await redisServerBinary();
    const dir = await mkdtemp(join(tmpdir(), "augserve-redis-"));
    for (let attempt = 0; ; attempt++) {
      const server = new RedisServer(binary, await freePort(), dir);
      try {
        await server.resume();
        return server;
      } catch (error) {
        // The port was taken between freePort() and redis-server's bind: try another.
        if (attempt >= 4) throw error;
      }
    }
  }

  /** Starts (again) on the same port, with an empty data set (no persistence). */
  async resume(): Promise<void> {
    if (this.#child) return;
    const args = [
      "--port",
      String(this.port),
      "--bind",
      "127.0.0.1",
      "--dir",
      this.#dir,
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "no",
      "--loglevel",
      "warning",
    ];
    const child = spawn(this.#binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.#child = child;
    let output = "";
    const collect = (data: Buffer) => {
      output += data.toString();
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    child.once("exit", () => {
      if (this.#child === child) this.#child = null;
    });
    try {
      await this.#waitReady(child, () => output);
    } catch (error) {
      child.kill("SIGKILL");
      this.#child = null;
      throw error;
    }
  }

  async #waitReady(child: ChildProcess, output: () => string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`redis-server exited at start (port ${this.port}): ${output().trim()}`);
      }
      if (await this.#pingOk()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not start on port ${this.port}: ${output().trim()}`);
  }

  /** One PING over a raw socket: no client library in the way of the readiness check. */
  #pingOk(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect(this.port, "127.0.0.1");
      socket.setTimeout(500);
      socket.once("data", (data) => {
        socket.destroy();
        resolve(data.toString().startsWith("+PONG"));
      });
      socket.once("connect", () => socket.write("PING\r\n"));
      socket.once("error", () => resolve(false));
      socket.once("timeout", () => {
        socket.destroy();
        resolve(false);
      });
    });
  }

  /** Stops the server (SIGTERM, SIGKILL after 5 s); its data is gone. */
  async pause(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill("SIGCONT");
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
    this.#child = null;
  }

  /** Freezes the server (SIGSTOP): connections stay open, nothing answers (a hung Redis). */
  freeze(): void {
    this.#child?.kill("SIGSTOP");
  }

  /** Thaws a frozen server (SIGCONT); its data is intact. */
  thaw(): void {
    this.#child?.kill("SIGCONT");
  }

  /** Stops the server and removes its directory. */
  async stop(): Promise<void> {
    await this.pause();
    await rm(this.#dir, { recursive: true, force: true });
  }
}
