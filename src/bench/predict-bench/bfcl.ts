/**
 * Stage I on real prompts: the BFCL v4 tuning set (data/bfcl/), scored out of sample by k-fold
 * cross-validation. For each fold the prior is trained on the other folds by the same code as
 * `npm run train:predictor`, and the held-out cases are predicted by:
 * - `prior`: a fresh predictor with that fold's prior (no online learning: what a new agent gets);
 * - `prior-model`: the prior's own expected calls, P(tool) x calls if a tool (no rounds, no heuristic);
 * - `online`: the same predictor, learning each held-out case after predicting it (prequential: every case is
 *   scored before it is learned), to check that online learning never makes it worse than its start;
 * - `heuristic`: the predictor without a prior (`pretrained: false`), the prompt rules alone;
 * and three baselines: `mean` (the training folds' mean calls), `always-1`, and `regex`
 * (1 + commas + "and" + "also": the list/conjunction reading of a prompt).
 * A prediction's calls are remaining rounds x calls per round at the run's start; "needs a tool" is
 * scored by `toolCallProbability` where the predictor gives it, else by the predicted calls.
 */
import { OnlinePredictor } from "../../predict/predictor.js";
import { PriorModel } from "../../predict/prior/model.js";
import { type BfclCase, type BfclSet, foldOf } from "../../predict/train/bfcl.js";
import { trainPrior } from "../../predict/train/fit.js";
import { trainingRows } from "../../predict/train/rows.js";
import type { Predictor } from "../../predict/types.js";
import { meanAbsoluteError, spearman } from "./stats.js";

export const BFCL_METHODS = [
  "prior",
  "prior-model",
  "online",
  "heuristic",
  "mean",
  "always-1",
  "regex",
] as const;
export type BfclMethod = (typeof BFCL_METHODS)[number];

export interface BfclScores {
  /** Spearman of predicted vs true calls over all cases. */
  spearman: number;
  /** ... over the cases where a call is due (true calls > 0). */
  spearmanDue: number;
  /** AUC of "needs a tool" (true calls > 0). */
  auc: number;
  mae: number;
  /** Mean squared error of calls, each clipped at 3 calls (the predictor's own robust loss). */
  clippedMse: number;
  /** Per category: Spearman (0 where the truth is constant) and MAE. */
  categories: Record<string, { cases: number; spearman: number; mae: number }>;
}

export interface BfclReport {
  folds: number;
  cases: number;
  methods: Record<BfclMethod, BfclScores>;
}

/** Area under the ROC curve of `score` for `positive` (ties count one half). */
export function auc(score: readonly number[], positive: readonly boolean[]): number {
  const order = score.map((s, i) => ({ s, p: positive[i]! })).sort((a, b) => a.s - b.s);
  let positives = 0;
  let negatives = 0;
  let rankSum = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]!.s === order[i]!.s) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (order[k]!.p) {
        positives++;
        rankSum += rank;
      } else negatives++;
    }
    i = j + 1;
  }
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** The list/conjunction regex: 1 + commas + "and" + "also". */
export function regexCalls(prompt: string): number {
  const count = (re: RegExp) => (prompt.match(re) ?? []).length;
  return 1 + count(/,/g) + count(/\band\b/gi) + count(/\balso\b/gi);
}

interface Scored {
  calls: number;
  score: number;
}

function predictCase(predictor: Predictor, c: BfclCase): Scored {
  const p = predictor.predict(c.context);
  const calls = p.remainingToolRounds * p.toolCallsPerRound;
  return { calls, score: p.toolCallProbability ?? calls };
}

function learnCase(predictor: Predictor, c: BfclCase): void {
  predictor.learnRun(c.context, {
    toolRounds: c.rounds,
    toolCallsPerRound: c.rounds > 0 ? c.calls / c.rounds : 0,
    outputTokensPerCall: [],
    finalOutputTokens: 100,
  });
}

function score(cases: readonly BfclCase[], scored: readonly Scored[]): BfclScores {
  const truth = cases.map((c) => c.calls);
  const predicted = scored.map((s) => s.calls);
  const due = cases.flatMap((c, i) => (c.calls > 0 ? [i] : []));
  const categories: BfclScores["categories"] = {};
  for (const category of [...new Set(cases.map((c) => c.category))].sort()) {
    const at = cases.flatMap((c, i) => (c.category === category ? [i] : []));
    categories[category] = {
      cases: at.length,
      spearman: spearman(
        at.map((i) => predicted[i]!),
        at.map((i) => truth[i]!),
      ),
      mae: meanAbsoluteError(
        at.map((i) => predicted[i]!),
        at.map((i) => truth[i]!),
      ),
    };
  }
  return {
    spearman: spearman(predicted, truth),
    spearmanDue: spearman(
      due.map((i) => predicted[i]!),
      due.map((i) => truth[i]!),
    ),
    auc: auc(
      scored.map((s) => s.score),
      truth.map((t) => t > 0),
    ),
    mae: meanAbsoluteError(predicted, truth),
    clippedMse:
      predicted.reduce((sum, p, i) => sum + Math.min(3, Math.abs(p - truth[i]!)) ** 2, 0) / predicted.length,
    categories,
  };
}

/** Scores every method out of sample on the tuning set by `folds`-fold cross-validation. */
export function evaluateBfcl(set: BfclSet, folds = 5, l2?: number): BfclReport {
  const cases = set.cases;
  const rows = trainingRows(cases);
  const fold = cases.map((c) => foldOf(c.id, folds));
  const out = Object.fromEntries(BFCL_METHODS.map((m) => [m, new Array<Scored>(cases.length)])) as Record<
    BfclMethod,
    Scored[]
  >;
  for (let k = 0; k < folds; k++) {
    const trainAt = cases.flatMap((_, i) => (fold[i] !== k ? [i] : []));
    // Held-out cases in a shuffled (hashed) order: the file groups them by category, a stream would not.
    const testAt = cases
      .flatMap((_, i) => (fold[i] === k ? [i] : []))
      .sort((a, b) => foldOf(`${cases[a]!.id}#`, 2 ** 31) - foldOf(`${cases[b]!.id}#`, 2 ** 31));
    const prior = new PriorModel(
      trainPrior(
        trainAt.map((i) => rows[i]!),
        { fold: k },
        l2 === undefined ? {} : { l2 },
      ),
    );
    const fresh = new OnlinePredictor(undefined, undefined, prior);
    const online = new OnlinePredictor(undefined, undefined, prior);
    const heuristic = new OnlinePredictor({ pretrained: false });
    const mean = trainAt.reduce((s, i) => s + cases[i]!.calls, 0) / Math.max(1, trainAt.length);
    for (const i of testAt) {
      const c = cases[i]!;
      out.prior[i] = predictCase(fresh, c);
      const e = prior.estimate(rows[i]!.x);
      out["prior-model"][i] = { calls: e.expectedCalls, score: e.needsTool };
      out.online[i] = predictCase(online, c);
      learnCase(online, c);
      out.heuristic[i] = predictCase(heuristic, c);
      out.mean[i] = { calls: mean, score: mean };
      out["always-1"][i] = { calls: 1, score: 1 };
      const regex = regexCalls(c.context.userPrompt);
      out.regex[i] = { calls: regex, score: regex };
    }
  }
  const methods = Object.fromEntries(BFCL_METHODS.map((m) => [m, score(cases, out[m])])) as Record<
    BfclMethod,
    BfclScores
  >;
  return { folds, cases: cases.length, methods };
}
