/**
 * `npm run train:predictor [-- --data data/bfcl/bfcl-tuning.json] [--out src/predict/prior/bfcl-prior.weights.json]
 *  [--l2 10]`
 *
 * Trains the pretrained prior of Stage I (src/predict/prior/) on the whole BFCL v4 tuning set and writes
 * its versioned weights file, which `createPredictor()` loads by default. Deterministic (Newton's method,
 * no randomness: the same data gives the same file) and takes seconds. The out-of-sample figures of this
 * recipe (5-fold cross-validation) are printed by `npm run bench:predict`.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { PriorModel } from "../prior/model.js";
import { BFCL_TUNING_PATH, loadBfcl } from "./bfcl.js";
import { DEFAULT_L2, trainPrior } from "./fit.js";
import { trainingRows } from "./rows.js";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: BFCL_TUNING_PATH },
    out: { type: "string", default: "src/predict/prior/bfcl-prior.weights.json" },
    l2: { type: "string", default: String(DEFAULT_L2) },
  },
});
const l2 = Number(values.l2);
if (!(l2 >= 0)) throw new Error(`Expected --l2 >= 0, got ${values.l2}`);
const started = performance.now();
const set = loadBfcl(values.data);
const rows = trainingRows(set.cases);
const weights = trainPrior(
  rows,
  {
    data: "BFCL v4 tuning set (data/bfcl/bfcl-tuning.json)",
    repo: set.source.repo,
    commit: set.source.commit,
    licence: set.source.licence,
    cases: rows.length,
    l2,
    trainer: "npm run train:predictor (src/predict/train/main.ts)",
  },
  { l2 },
);
new PriorModel(weights); // validates what is about to be written
const text = `${JSON.stringify(weights, null, 1)}\n`;
writeFileSync(values.out, text);
console.log(
  `prior trained on ${rows.length} cases in ${((performance.now() - started) / 1000).toFixed(1)} s -> ${values.out} (${text.length} bytes)`,
);
