/**
 * `npm run bench:engine [-- --json] [-- --fit] [-- --sizes tiny,small] [-- --repeats N] [-- --quiet]`:
 * the real engine's curve (TTFT, per-sequence and aggregate tokens/s vs concurrent sequences 1..16, for each
 * generated size) next to the simulator's prediction with the fitted profile (`ENGINE_SIM_PROFILES`), and
 * with `--fit` the constants fitted afresh to this run (docs/engine.md).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SingleBar } from "cli-progress";
import { ENGINE_SIM_PROFILES } from "../ab/live/engine-profiles.js";
import { MODEL_SIZES, type ModelSize, writeModelFile } from "../engine/make-model.js";
import type { CostModel } from "../sim/engine/cost-model.js";
import { type CurvePoint, measureCurve } from "./engine-bench/curve.js";
import { curveErrors, fitCostModel } from "./engine-bench/fit.js";

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const value = (name: string, fallback: string) => {
  const at = argv.indexOf(name);
  return at >= 0 && argv[at + 1] !== undefined ? (argv[at + 1] as string) : fallback;
};
const json = flag("--json");
const sizes = value("--sizes", "tiny,small,medium").split(",") as ModelSize[];
for (const size of sizes) {
  if (!(size in MODEL_SIZES))
    throw new Error(`Expected sizes among ${Object.keys(MODEL_SIZES).join(", ")}, got \`${size}\``);
}
const concurrency = value("--concurrency", "1,2,4,8,16").split(",").map(Number);
const repeats = Number(value("--repeats", "5"));
const promptTokens = Number(value("--prompt-tokens", "128"));
const outputTokens = Number(value("--output-tokens", "128"));
const showProgress = process.stderr.isTTY && !flag("--quiet") && !json;
const log = (line: string) => {
  if (!json) process.stdout.write(`${line}\n`);
};

interface SizeResult {
  points: CurvePoint[];
  simulated: CurvePoint[];
  fitted?: CostModel;
  fittedSimulated?: CurvePoint[];
}

const pct = (sim: number, real: number) => `${((sim / real - 1) * 100).toFixed(0)}%`;
function table(size: string, rows: { point: CurvePoint; simulated: CurvePoint }[]): void {
  log(`| size | seqs | TTFT ms | sim | err | per-seq tok/s | sim | err | aggregate tok/s | sim | err |`);
  log(`|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
  for (const { point: p, simulated: s } of rows) {
    log(
      `| ${size} | ${p.concurrency} | ${p.ttftMs.toFixed(1)} | ${s.ttftMs.toFixed(1)} | ${pct(s.ttftMs, p.ttftMs)} | ` +
        `${p.perSequenceTokensPerS.toFixed(0)} | ${s.perSequenceTokensPerS.toFixed(0)} | ${pct(s.perSequenceTokensPerS, p.perSequenceTokensPerS)} | ` +
        `${p.aggregateTokensPerS.toFixed(0)} | ${s.aggregateTokensPerS.toFixed(0)} | ${pct(s.aggregateTokensPerS, p.aggregateTokensPerS)} |`,
    );
  }
}

const dir = await mkdtemp(join(tmpdir(), "augserve-bench-engine-"));
const results: Partial<Record<ModelSize, SizeResult>> = {};
try {
  log(
    `engine curve: ${promptTokens}-token prompts, ${outputTokens} output tokens, all arriving at once, ` +
      `1 thread, best of ${repeats}`,
  );
  for (const size of sizes) {
    const modelPath = join(dir, `${size}.gguf`);
    await writeModelFile(modelPath, { size, seed: 1 });
    const bar = showProgress ? new SingleBar({ format: `${size} {bar} {value}/{total}` }) : undefined;
    bar?.start(concurrency.length * repeats, 0);
    const points = await measureCurve({
      modelPath,
      concurrency,
      promptTokens,
      outputTokens,
      repeats,
      threads: 1,
      onProgress: (done) => bar?.update(done),
    });
    bar?.stop();
    const input = { points, promptTokens, outputTokens };
    const rows = curveErrors(ENGINE_SIM_PROFILES[size].cost, input);
    const result: SizeResult = { points, simulated: rows.map((r) => r.simulated) };
    log(`\n${size} vs profile ${ENGINE_SIM_PROFILES[size].name}:`);
    table(size, rows);
    if (flag("--fit")) {
      const fitted = fitCostModel(input);
      const fittedRows = curveErrors(fitted, input);
      result.fitted = fitted;
      result.fittedSimulated = fittedRows.map((r) => r.simulated);
      log(`\n${size} fitted to this run: ${JSON.stringify(fitted)}`);
      table(size, fittedRows);
    }
    results[size] = result;
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
if (json)
  process.stdout.write(`${JSON.stringify({ promptTokens, outputTokens, repeats, sizes: results })}\n`);
