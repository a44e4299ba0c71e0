/** The BFCL section of `npm run bench:predict`: the out-of-sample scores beside the baselines and targets. */
import { BFCL_METHODS, type BfclReport } from "./bfcl.js";

const f = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");

/** Targets of issue 19 on the tuning set, out of sample. */
export const BFCL_TARGETS = { spearman: 0.8, spearmanDue: 0.65, auc: 0.95 };

/** Lines of the BFCL table (printed by the bench, pinned by no test: figures are measured, not asserted). */
export function bfclTable(report: BfclReport): string[] {
  const lines = [
    `Real prompts: BFCL v4 tuning set (data/bfcl, ${report.cases} cases), ${report.folds}-fold cross-validation ` +
      "(the prior of each fold trained on the other folds; online: learning each held-out case after predicting it)",
    "method       Spearman  Spearman(call due)  AUC(needs tool)  MAE calls | per category Spearman / MAE",
  ];
  for (const method of BFCL_METHODS) {
    const s = report.methods[method];
    const categories = Object.entries(s.categories)
      .map(([name, c]) => `${name} ${f(c.spearman, 2)}/${f(c.mae, 2)}`)
      .join("  ");
    lines.push(
      `${method.padEnd(12)} ${f(s.spearman).padStart(8)}  ${f(s.spearmanDue).padStart(18)}  ${f(s.auc).padStart(15)}  ` +
        `${f(s.mae).padStart(9)} | ${categories}`,
    );
  }
  const p = report.methods.prior;
  const regex = report.methods.regex;
  const always = report.methods["always-1"];
  const belowRegex = Object.entries(p.categories)
    .filter(([name, c]) => c.spearman < (regex.categories[name]?.spearman ?? 0) - 1e-9)
    .map(([name, c]) => `${name} ${f(c.spearman)} < ${f(regex.categories[name]?.spearman ?? 0)}`);
  const check = (ok: boolean) => (ok ? "met" : "MISSED");
  lines.push(
    `targets (prior): Spearman ${f(p.spearman)} >= ${BFCL_TARGETS.spearman} ${check(p.spearman >= BFCL_TARGETS.spearman)}; ` +
      `where a call is due ${f(p.spearmanDue)} >= ${BFCL_TARGETS.spearmanDue} ${check(p.spearmanDue >= BFCL_TARGETS.spearmanDue)}; ` +
      `AUC ${f(p.auc)} >= ${BFCL_TARGETS.auc} ${check(p.auc >= BFCL_TARGETS.auc)}; ` +
      `MAE ${f(p.mae)} <= always-1 ${f(always.mae)} ${check(p.mae <= always.mae)}; ` +
      `no category below regex: ${belowRegex.length === 0 ? "met" : `MISSED (${belowRegex.join(", ")})`}; ` +
      `online never worse than its start: clipped MSE ${f(report.methods.online.clippedMse)} vs ${f(p.clippedMse)}, ` +
      `MAE ${f(report.methods.online.mae)} vs ${f(p.mae)}`,
    "regex: 1 + commas + 'and' + 'also'; mean: the training folds' mean calls; heuristic: the predictor without its prior " +
      "(pretrained: false); prior-model: the prior's expected calls alone; calls predicted = remaining rounds x calls per round",
  );
  return lines;
}
