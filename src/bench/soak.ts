/**
 * `npm run bench:soak`: N concurrent agent runs for a fixed time against the simulator (in a child process,
 * so that its heap and event loop are not the measured client's), without and with the `augserve()`
 * middleware (its defaults: the process-wide scheduler and predictor, the global metrics registry).
 *
 * Each repeat runs three phases in rotating order, after a warm-up of each arm: all users plain, all users with
 * the middleware, and half and half side by side ("mixed": both arms see the same machine state, the fair
 * runs/s ratio on a shared machine). Per phase: runs/s and failed runs per arm, the event loop's delay
 * (p50/p99/max) and the heap after full GCs, before and after; growth per run is (after - before) / runs. For the augserve arm it is measured
 * twice: as is, and after dropping the run records the instance keeps for `report()` (by design, up to
 * 100,000): the difference is the records' share, and what remains above the plain arm is the middleware's
 * own share (a leak would show there). At the end: the scheduler's state (nothing should be queued, in
 * flight or active) and the simulator's.
 *
 * Options: `--concurrency N` (32), `--seconds S` per phase (15), `--repeats R` pairs of phases (3),
 * `--warmup-seconds S` (5), `--time-scale X` of the simulator (20), `--conversations K` in the pool (64),
 * `--json` (one JSON object on stdout), `--quiet` (no progress bar). Needs `--expose-gc` (the npm script sets it).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { tool } from "@langchain/core/tools";
import { ChatOpenAI } from "@langchain/openai";
import { createAgent } from "langchain";
import { z } from "zod";
import { createProgress } from "../ab/progress.js";
import { createAugServe } from "../langchain/index.js";
import { OptionsError, parseWith } from "../util/index.js";
import { type PhaseResult, runPhase, type SoakArm, type UserGroup } from "./soak/phase.js";
import { soakScripts } from "./soak/scripts.js";
import { formatSoak, summarizeSoak } from "./soak/summary.js";

const SoakOptionsSchema = z.strictObject({
  concurrency: z.number().int().min(1).max(10_000).default(32),
  seconds: z.number().positive().max(86_400).default(15),
  repeats: z.number().int().min(1).max(1_000).default(3),
  warmupSeconds: z.number().min(0).max(3_600).default(5),
  timeScale: z.number().positive().max(1e6).default(20),
  conversations: z.number().int().min(1).max(100_000).default(64),
  json: z.boolean().default(false),
  quiet: z.boolean().default(false),
});
export type SoakOptions = z.input<typeof SoakOptionsSchema>;

/** Bad `bench:soak` flags; `issues` as `path: message`. */
export class SoakOptionsError extends OptionsError {
  static override readonly code = "BENCH_SOAK_OPTIONS";
  override readonly name = "SoakOptionsError";
  constructor(issues: readonly string[], cause?: unknown) {
    super(`Invalid bench:soak options: ${issues.join("; ")}`, issues, { cause });
  }
}

/** `--kebab-case value` flags into the options object (booleans take no value); throws `SoakOptionsError`. */
export function parseSoakArgs(argv: readonly string[]): SoakOptions {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? "";
    if (!flag.startsWith("--")) throw new SoakOptionsError([`expected a --flag, got \`${flag}\``]);
    const key = flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (key === "json" || key === "quiet") out[key] = true;
    else out[key] = Number(argv[++i]);
  }
  return parseSoakOptions(out);
}

function parseSoakOptions(options: SoakOptions) {
  return parseWith(
    SoakOptionsSchema,
    options,
    (issues, cause) =>
      new SoakOptionsError(
        issues.map((i) => `${i.path}: ${i.message}`),
        cause,
      ),
  );
}

const CHILD = fileURLToPath(new URL("./soak/sim-child.ts", import.meta.url));

async function startSimChild(conversations: number, timeScale: number) {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", CHILD, String(conversations), String(timeScale)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`simulator child exited with ${code}`)));
    child.stdout.once("data", (data: Buffer) => resolve(Number(data.toString().trim())));
  });
  return { baseURL: `http://127.0.0.1:${port}/v1`, stop: () => child.kill("SIGTERM") };
}

export async function runSoak(options: SoakOptions) {
  const o = parseSoakOptions(options);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("bench:soak measures the heap after GC: run node with --expose-gc");
  const sim = await startSimChild(o.conversations, o.timeScale);
  try {
    const weather = tool(async ({ city }) => `Sunny in ${city}, 21 C`, {
      name: "get_weather",
      description: "Current weather of a city.",
      schema: z.object({ city: z.string() }),
    });
    const model = new ChatOpenAI({
      model: "sim",
      apiKey: "sim",
      maxRetries: 0,
      configuration: { baseURL: sim.baseURL },
    });
    const aug = createAugServe();
    const agents: Record<SoakArm, ReturnType<typeof createAgent>> = {
      plain: createAgent({ model, tools: [weather] }),
      augserve: createAgent({ model, tools: [weather], middleware: [aug.middleware()] }),
    };
    const prompts = soakScripts(o.conversations).map((s) => s.firstUserMessage);
    const runOnce = (arm: SoakArm) => async (index: number) => {
      await agents[arm].invoke({
        messages: [{ role: "user", content: prompts[index % prompts.length] ?? "" }],
      });
    };
    const totalSeconds = 2 * o.warmupSeconds + 3 * o.repeats * o.seconds;
    const progress = createProgress(Math.ceil(totalSeconds), { quiet: o.quiet || o.json });
    const group = (arm: SoakArm, users: number): UserGroup => ({ arm, users, runOnce: runOnce(arm) });
    const kinds: Record<PhaseResult["kind"], UserGroup[]> = {
      plain: [group("plain", o.concurrency)],
      augserve: [group("augserve", o.concurrency)],
      mixed: [group("plain", Math.ceil(o.concurrency / 2)), group("augserve", Math.floor(o.concurrency / 2))],
    };
    const phase = (kind: PhaseResult["kind"], seconds: number) =>
      runPhase(
        {
          groups: kinds[kind],
          seconds,
          dropRecords: () => aug.resetRecords(),
          onSecond: (runs) => progress.tick(1, `${kind}: ${runs} runs`),
        },
        gc,
      );
    if (o.warmupSeconds > 0) {
      await phase("plain", o.warmupSeconds);
      await phase("augserve", o.warmupSeconds);
    }
    const phases: PhaseResult[] = [];
    const rotation: PhaseResult["kind"][] = ["plain", "augserve", "mixed"];
    for (let r = 0; r < o.repeats; r++) {
      for (let k = 0; k < rotation.length; k++) {
        phases.push(await phase(rotation[(k + r) % rotation.length] as PhaseResult["kind"], o.seconds));
      }
    }
    progress.stop();
    const snap = aug.scheduler.snapshot();
    const end = {
      queued: snap.queued,
      inFlightCalls: snap.inFlightCalls,
      inFlightTokens: snap.inFlightTokens,
      activeRuns: snap.activeRuns,
      parkedRuns: snap.parkedRuns,
      budgetTokens: snap.budgetTokens,
      counters: snap.counters,
    };
    aug.close();
    return { options: o, summary: summarizeSoak(phases), scheduler: end, phases };
  } finally {
    sim.stop();
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const options = parseSoakArgs(process.argv.slice(2));
  const result = await runSoak(options);
  console.log(options.json ? JSON.stringify(result) : formatSoak(result));
}
