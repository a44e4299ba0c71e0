/**
 * Finds a Chromium for the report's browser test, so that `npm ci && npm test` passes on a bare machine
 * (Node and nothing else), still in a real browser:
 *
 * 1. `AUGSERVE_CHROMIUM` when set (it must exist);
 * 2. a system Chromium or Chrome (Debian's `/usr/bin/chromium`, ...), or the one Playwright installed;
 * 3. else the headless Chromium shipped inside the `@sparticuz/chromium` dev dependency (Linux x64 only),
 *    unpacked once into `node_modules/.cache/augserve-chromium/<version>/` with the NSS and expat libraries and
 *    the font it bundles, so that it needs nothing of the system but glibc.
 *
 * Why the package: a browser that a test tool downloads at install time (`npx playwright install`) cannot be
 * fetched where only the npm registry is reachable, while a binary inside a registry package installs as usual.
 */
import { spawn } from "node:child_process";
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { arch, platform } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { brotliDecompress as brotliDecompressCb, createBrotliDecompress } from "node:zlib";
import { chromium } from "playwright-core";

export interface ResolvedChromium {
  executablePath: string;
  /** Where it came from, for the test's log. */
  source: "AUGSERVE_CHROMIUM" | "system" | "playwright" | "@sparticuz/chromium";
  /** Extra flags this build needs. */
  args: string[];
  /** Environment for the browser process (library and font paths of the bundled build). */
  env?: Record<string, string>;
}

const SYSTEM_CANDIDATES = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
];

/** The bundled build is chrome-headless-shell for containers: no zygote, and no reliance on a large /dev/shm. */
const brotliDecompress = promisify(brotliDecompressCb);

const BUNDLED_ARGS = ["--no-zygote", "--disable-dev-shm-usage"];

export class ChromiumNotFoundError extends Error {
  override readonly name = "ChromiumNotFoundError";
}

export async function resolveChromium(
  cacheRoot = resolve("node_modules/.cache/augserve-chromium"),
): Promise<ResolvedChromium> {
  const fromEnv = process.env.AUGSERVE_CHROMIUM;
  if (fromEnv !== undefined && fromEnv !== "") {
    if (!existsSync(fromEnv)) throw new ChromiumNotFoundError(`AUGSERVE_CHROMIUM=${fromEnv} does not exist`);
    return { executablePath: fromEnv, source: "AUGSERVE_CHROMIUM", args: [] };
  }
  const system = SYSTEM_CANDIDATES.find((p) => existsSync(p));
  if (system !== undefined) return { executablePath: system, source: "system", args: [] };
  const installed = chromium.executablePath();
  if (existsSync(installed)) return { executablePath: installed, source: "playwright", args: [] };
  return unpackBundled(cacheRoot);
}

async function unpackBundled(cacheRoot: string): Promise<ResolvedChromium> {
  if (platform() !== "linux" || arch() !== "x64") {
    throw new ChromiumNotFoundError(
      `No Chromium found (${SYSTEM_CANDIDATES[0]}, Chrome, Playwright's) and @sparticuz/chromium ships Linux x64 only ` +
        `(this is ${platform()}-${arch()}): install Chromium or set AUGSERVE_CHROMIUM to a Chromium binary.`,
    );
  }
  const binDir = await bundledBinDir();
  const version = JSON.parse(await readFile(join(binDir, "..", "package.json"), "utf8")).version as string;
  const dir = join(cacheRoot, version);
  if (!existsSync(join(dir, "complete"))) await unpackInto(binDir, dir);
  return {
    executablePath: join(dir, "chromium"),
    source: "@sparticuz/chromium",
    args: BUNDLED_ARGS,
    env: {
      ...stringEnv(),
      LD_LIBRARY_PATH: [join(dir, "lib"), process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
      FONTCONFIG_FILE: join(dir, "fonts.conf"),
    },
  };
}

async function bundledBinDir(): Promise<string> {
  try {
    // The package exports only its entry (build/{esm,cjs}/index.*); its brotli files sit in ../../bin.
    const entry = createRequire(import.meta.url).resolve("@sparticuz/chromium");
    return resolve(dirname(entry), "..", "..", "bin");
  } catch (cause) {
    throw new ChromiumNotFoundError(
      "No Chromium found and the dev dependency @sparticuz/chromium is not installed: run `npm ci`, install " +
        "Chromium, or set AUGSERVE_CHROMIUM to a Chromium binary.",
      { cause },
    );
  }
}

/** Unpacks into a private folder, then renames it into place, so a killed run never leaves a half binary. */
async function unpackInto(binDir: string, dir: string): Promise<void> {
  const work = `${dir}.tmp-${process.pid}`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  await pipeline(
    createReadStream(join(binDir, "chromium.br")),
    createBrotliDecompress(),
    createWriteStream(join(work, "chromium"), { mode: 0o755 }),
  );
  // al2023.tar.br: lib/ with NSS, NSPR and expat (the binary's only shared libraries beyond glibc);
  // fonts.tar.br: fonts/Open_Sans (text renders without any system font).
  await untarBrotli(join(binDir, "al2023.tar.br"), work);
  await untarBrotli(join(binDir, "fonts.tar.br"), work);
  // The bundled fonts.conf names Lambda's paths; ours adds the system's fonts (if any) to the bundled one.
  await writeFile(
    join(work, "fonts.conf"),
    [
      '<?xml version="1.0"?>',
      '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
      "<fontconfig>",
      '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>',
      `  <dir>${join(dir, "fonts")}</dir>`,
      `  <cachedir>${join(dir, "fontconfig-cache")}</cachedir>`,
      "</fontconfig>",
      "",
    ].join("\n"),
  );
  await writeFile(join(work, "complete"), "");
  await rm(dir, { recursive: true, force: true });
  await rename(work, dir);
}

/** Brotli-compressed tar -> `tar -x` (tar is on every Linux that has Node; Debian's is essential). */
async function untarBrotli(file: string, into: string): Promise<void> {
  const archive = await brotliDecompress(await readFile(file));
  const tar = spawn("tar", ["-x", "-C", into], { stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  tar.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  // tar may exit at the archive's end marker before reading the zero padding after it: its exit code decides.
  tar.stdin.on("error", () => {});
  tar.stdin.end(archive);
  await new Promise<void>((ok, fail) => {
    tar.on("error", fail);
    tar.on("close", (code) =>
      code === 0 ? ok() : fail(new Error(`tar -x of ${file} exited ${code}: ${stderr}`)),
    );
  });
}

function stringEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v;
  return out;
}
