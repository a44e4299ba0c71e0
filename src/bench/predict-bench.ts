/**
 * `npm run bench:predict [-- --json] [--workloads a.json,b.json] [--train-fraction 0.5] [--seed N]`
 *
 * Evaluates Stage I prediction on each workload: the online predictor, the constant mean baseline and
 * the oracle side by side on the identical generated runs (see predict-bench/evaluate.ts), plus the
 * cost of one prediction at 50 bound tools. `--json` prints only
 * `{ "rows": [ { workload, maeRounds, maeRoundsBaseline, spearmanCost, spearmanCostBaseline, goodputVsOracle } ] }`.
 * `goodputVsOracle` (augserve goodput with this predictor / with the oracle, at the high-load rate) needs
 * the virtual-time benchmark; it is `null` until that is available.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { MeanBaselinePredictor } from "../predict/mean-baseline.js";
import { createPredictor } from "../predict/predictor.js";
import { evaluatePredictor, type PredictorScores, splitRuns } from "./predict-bench/evaluate.js";
import { type PredictTiming, timePredict } from "./predict-bench/timing.js";
import type { GeneratedWorkload } from "./workload/types.js";

type LoadWorkload = (source: string, options?: { seed?: number }) => GeneratedWorkload;

/** The workload generator lands from another branch; load it at run time so this file builds without it. */
async function workloadLoader(): Promise<LoadWorkload> {
  const specifier = "./workload/index.js";
  try {
    const module = (await import(specifier)) as { loadWorkload?: LoadWorkload };
    if (typeof module.loadWorkload === "function") return module.loadWorkload;
  } catch {
    // fall through
  }
  throw new Error(
    "the workload generator (src/bench/workload/index.ts, issue 4) is not available in this checkout",
  );
}

interface Row {
  workload: string;
  maeRounds: number;
  maeRoundsBaseline: number;
  spearmanCost: number;
  spearmanCostBaseline: number;
  goodputVsOracle: number | null;
}

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    workloads: { type: "string" },
    "train-fraction": { type: "string", default: "0.5" },
    seed: { type: "string" },
  },
});
const trainFraction = Number(values["train-fraction"]);
if (!(trainFraction > 0 && trainFraction < 1)) {
  throw new Error(`Expected --train-fraction in (0, 1), got ${values["train-fraction"]}`);
}
const loadWorkload = await workloadLoader();
const files =
  values.workloads?.split(",") ??
  readdirSync("workloads")
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => join("workloads", f));

const rows: Row[] = [];
const details: {
  workload: string;
  predictor: PredictorScores;
  baseline: PredictorScores;
  oracle: PredictorScores;
}[] = [];
let timing: PredictTiming | undefined;
for (const file of files) {
  const workload = loadWorkload(file, values.seed === undefined ? {} : { seed: Number(values.seed) });
  const { train, test } = splitRuns(workload.runs, trainFraction);
  const predictor = createPredictor();
  const scores = evaluatePredictor(predictor, train, test);
  const baseline = evaluatePredictor(new MeanBaselinePredictor(), train, test);
  const oracle = evaluatePredictor(null, train, test);
  details.push({ workload: workload.name, predictor: scores, baseline, oracle });
  rows.push({
    workload: workload.name,
    maeRounds: scores.maeTotalRounds,
    maeRoundsBaseline: baseline.maeTotalRounds,
    spearmanCost: scores.spearmanCost,
    spearmanCostBaseline: baseline.spearmanCost,
    goodputVsOracle: null,
  });
  if (timing === undefined && workload.runs.some((r) => r.tools.length > 0)) {
    timing = timePredict(
      predictor,
      workload.runs.filter((r) => r.tools.length > 0),
      50,
    );
  }
}

if (values.json) {
  process.stdout.write(`${JSON.stringify({ rows }, null, 2)}\n`);
} else {
  const f = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");
  console.log(
    `Stage I prediction: train on the first ${trainFraction * 100}% of runs (arrival order), evaluate on the rest`,
  );
  console.log(
    "workload                  runs  points | MAE total rounds  pred/base/oracle | MAE remaining  pred/base/oracle | Spearman cost  pred/base/oracle | goodput vs oracle",
  );
  for (const d of details) {
    const { predictor: p, baseline: b, oracle: o } = d;
    console.log(
      `${d.workload.padEnd(24)} ${String(p.runs).padStart(5)} ${String(p.points).padStart(7)} | ` +
        `${f(p.maeTotalRounds)} / ${f(b.maeTotalRounds)} / ${f(o.maeTotalRounds)}`.padEnd(34) +
        ` | ${f(p.maeRemainingRounds)} / ${f(b.maeRemainingRounds)} / ${f(o.maeRemainingRounds)}`.padEnd(35) +
        ` | ${f(p.spearmanCost)} / ${f(b.spearmanCost)} / ${f(o.spearmanCost)}`.padEnd(35) +
        " | pending (virtual-time benchmark not available)",
    );
  }
  if (timing !== undefined) {
    console.log(
      `predict() at ${timing.tools} bound tools, CPU us per call: ${f(timing.perRunCallUs)} over every call of every run ` +
        `(${f(timing.firstSightUs)} first sight of a prompt, ${f(timing.repeatUs)} repeated, ` +
        `${f(timing.freshToolArrayUs)} first sight with a rebuilt tool array); target <= 20 us`,
    );
  }
}
