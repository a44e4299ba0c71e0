/**
 * Packaging (issue 22): the packed tarball installs into a fresh project beside the user's own LangChain, the
 * one-line agent runs, and `npm ls @langchain/core` shows one copy. `langchain`, `@langchain/core` and
 * `@langchain/langgraph` are peer dependencies; what only the CLI, the report, the live bench or the fleet
 * need (vega, vega-lite, ioredis, commander, cli-progress, @langchain/openai) are optional peers, absent here.
 *
 * Real npm: the package is built into a staging folder (the repository's own `dist/` is left alone), packed,
 * and installed with `--prefer-offline` (npm's cache first, the registry only for what it lacks). Skipped with
 * a note when npm can reach neither.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "augserve-pack-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking the test worker (a long synchronous child would stall vitest's RPC). */
function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Ran> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd,
      timeout: timeoutMs,
      env: { ...process.env, npm_config_update_notifier: "false" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", fail);
    child.on("close", (status) => done({ status, stdout, stderr }));
  });
}

const npm = (args: string[], cwd: string, timeoutMs: number) =>
  run("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], cwd, timeoutMs);

/** The versions this repository tests with, from its lock file: the user's project installs the same. */
function tested(name: string): string {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version?: string }>;
  };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (version === undefined) throw new Error(`${name} is not in package-lock.json`);
  return version;
}

describe("the packed tarball in a fresh project (issue 22)", () => {
  it("installs beside the user's own LangChain with one copy of @langchain/core, and the one-line agent runs", async () => {
    const staging = join(work, "staging");
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Record<string, unknown>;
    for (const entry of ["README.md", "LICENSE", "NOTICE", "workloads"])
      cpSync(join(root, entry), join(staging, entry), { recursive: true });
    writeFileSync(join(staging, "package.json"), JSON.stringify({ ...pkg, scripts: {} }, null, 2));
    const built = await run(
      process.execPath,
      [
        join(root, "node_modules/typescript/bin/tsc"),
        "-p",
        join(root, "tsconfig.build.json"),
        "--outDir",
        join(staging, "dist"),
      ],
      root,
      300_000,
    );
    expect(built.status, built.stdout + built.stderr).toBe(0);
    const packed = await npm(["pack", "--pack-destination", work], staging, 120_000);
    expect(packed.status, packed.stderr).toBe(0);
    const tarball = join(work, packed.stdout.trim().split("\n").at(-1)!);

    const app = join(work, "app");
    cpSync(join(root, "test/langchain/fixtures/pack-app"), app, { recursive: true });
    const langchain = ["langchain", "@langchain/core", "@langchain/langgraph"].map(
      (n) => `${n}@${tested(n)}`,
    );
    const installed = await npm(
      ["install", "--prefer-offline", "--ignore-scripts", tarball, ...langchain],
      app,
      240_000,
    );
    if (
      installed.status !== 0 &&
      /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ENOTCACHED|ETIMEDOUT/.test(installed.stderr)
    ) {
      console.warn(`skipped: npm could reach neither its cache nor the registry\n${installed.stderr}`);
      return;
    }
    expect(installed.status, installed.stderr).toBe(0);
    // Nothing only the CLI, the report, the live bench or the fleet needs came with the middleware.
    for (const name of ["vega", "vega-lite", "ioredis", "commander", "cli-progress", "@langchain/openai"])
      expect(existsSync(join(app, "node_modules", name)), name).toBe(false);
    const core = await npm(["ls", "@langchain/core", "--all", "--parseable"], app, 60_000);
    expect(core.status, core.stderr).toBe(0);
    expect(new Set(core.stdout.trim().split("\n")).size).toBe(1);

    const ran = await run(process.execPath, ["agent.mjs"], app, 60_000);
    expect(ran.stderr).toBe("");
    expect(ran.status).toBe(0);
    expect(JSON.parse(ran.stdout)).toEqual({
      answer: "hello from the agent",
      activeRuns: 0,
      records: ["ok"],
    });
  }, 600_000);
});
