/**
 * The Stage I predictor: features of the prompt and tools, a pretrained prior (does the request need a
 * tool, how many calls), three round estimators blended by their measured accuracy, a conditional
 * remaining-rounds distribution, token models, and per-tool latencies.
 *
 * Round estimators of a run's total tool rounds R:
 * - cold: P(tool) from the pretrained prior x the rounds the prompt implies (cold-start.ts; no history);
 * - model: a Poisson regression over the hashed features, predicting R + 1 (so it starts equal to
 *   cold + 1 - 1 = cold: its weight on the cold feature starts at 1);
 * - signature mean: the mean R of earlier runs of the same agent (available after one run).
 * They are blended with weights 1 / MSE, each MSE measured prequentially on this signature's runs and
 * shrunk towards the all-runs MSE (then towards a prior) when there are few: with no history the cold
 * heuristic leads; an agent whose prompts state their counts keeps trusting the prompt; an agent whose
 * prompts reveal nothing ends up at its own mean. The blend is robust: each run's squared error is
 * clipped at {@link ERROR_CLIP}^2, so a few 32-vs-1 misses cannot switch an estimator off; and it is
 * guarded: the blend's own prequential error is kept beside the cold estimator's, and where the blend has
 * done worse than the cold estimate it started from, the cold estimate is used (online learning is never
 * worse than where it started).
 *
 * Calls per round come from the prompt (parallel items: the prior's calls spread over the rounds the
 * prompt implies), shrunk towards the agent's observed calls per round as its runs are learned.
 */
import { Analyser, type RunAnalysis } from "./analysis.js";
import { MAX_COLD_ROUNDS } from "./cold-start.js";
import { COLD_SLOT } from "./features/index.js";
import { OnlineRegression } from "./learn/online-regression.js";
import { IntHistogram } from "./learn/running-stats.js";
import {
  conditionalRemaining,
  RESIDUAL_RANGE,
  SignatureStats,
  smoothedMse,
} from "./learn/signature-stats.js";
import { ToolLatencyModel } from "./learn/tool-latency.js";
import { type PredictorOptions, type ResolvedPredictorOptions, resolveOptions } from "./options.js";
import { shippedPrior } from "./prior/index.js";
import type { PriorModel } from "./prior/model.js";
import { PREDICTOR_STATE_VERSION, type PredictorState, parseState } from "./state.js";
import type { PredictionContext, Predictor, RunObservation, RunPrediction } from "./types.js";

/** MSE assumed for an estimator before it has been scored on any run (rounds^2). */
const PRIOR_MSE = { cold: 4, model: 6, mean: 9 };
/** MSEs below this are floored, so that no estimator gets an infinite weight. */
const MIN_MSE = 0.05;
/** A run's error counts at most this many rounds in the blend's MSEs (robustness to outliers). */
export const ERROR_CLIP = 3;

/** Residuals of an agent nothing has been learned of. */
const NO_RESIDUALS = new IntHistogram(-RESIDUAL_RANGE, RESIDUAL_RANGE);

/**
 * Runs before learned estimates are used at all (of one agent before its own errors, rather than all
 * runs', decide), and the share by which the learned estimate's error must be below the cold start's.
 */
const GUARD_MIN_RUNS = 5;
const GUARD_MARGIN = 0.1;

function clippedSquare(error: number): number {
  const e = Math.min(ERROR_CLIP, Math.abs(error));
  return e * e;
}

/** The round estimators of one run and how they were blended. For diagnostics and tests. */
export interface RoundEstimate {
  /** Agent signature (system prompt + sorted tool names). */
  signature: string;
  /** The signature refined by the prompt's kind of evidence: the key of the statistics used. */
  statsKey: string;
  cold: number;
  model: number;
  /** Mean of earlier runs of the signature, `undefined` before the first. */
  signatureMean: number | undefined;
  weights: { cold: number; model: number; signatureMean: number };
  /** The weighted blend of the three, whether used or not. */
  blend: number;
  /** True when the blend has done worse than the cold estimate so far and the cold one is used. */
  guarded: boolean;
  /** Expected total rounds (before conditioning on rounds done): the blend, or cold when guarded. */
  total: number;
}

interface Parts {
  rounds: OnlineRegression;
  tokensPerCall: OnlineRegression;
  finalTokens: OnlineRegression;
  signatures: Map<string, SignatureStats>;
  global: SignatureStats;
  latency: ToolLatencyModel;
  runsLearned: number;
}

function finite(value: number, fallback: number): number {
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}

export class OnlinePredictor implements Predictor {
  readonly options: ResolvedPredictorOptions;
  readonly #analyser: Analyser;
  readonly #parts: Parts;

  /**
   * Prefer {@link createPredictor}. `state` restores a saved predictor (already validated). `prior`
   * replaces the shipped pretrained prior (used when `options.pretrained` is true, the default).
   */
  constructor(options?: PredictorOptions, state?: PredictorState, prior?: PriorModel) {
    this.options = resolveOptions(state?.options ?? options);
    const o = this.options;
    const size = 1 << o.hashBits;
    this.#analyser = new Analyser(
      o.hashBits,
      o.cacheSize,
      o.pretrained ? (prior ?? shippedPrior()) : undefined,
    );
    const restore = (key: "rounds" | "tokensPerCall" | "finalTokens", fresh: () => OnlineRegression) =>
      state === undefined ? fresh() : OnlineRegression.from(state.models[key], o.learningRate, o.l2);
    this.#parts = {
      rounds: restore(
        "rounds",
        () => new OnlineRegression("poisson", size, o.learningRate, o.l2, { [COLD_SLOT]: 1 }),
      ),
      tokensPerCall: restore(
        "tokensPerCall",
        () =>
          new OnlineRegression("squared", size, o.learningRate, o.l2, {
            0: Math.log1p(o.prior.outputTokensPerCall),
          }),
      ),
      finalTokens: restore(
        "finalTokens",
        () =>
          new OnlineRegression("squared", size, o.learningRate, o.l2, {
            0: Math.log1p(o.prior.finalOutputTokens),
          }),
      ),
      signatures: new Map((state?.signatures ?? []).map(([key, s]) => [key, SignatureStats.from(s)])),
      global: state === undefined ? new SignatureStats() : SignatureStats.from(state.global),
      latency:
        state === undefined
          ? new ToolLatencyModel(o.latencyAlpha, o.prior.toolLatencyMs, o.toolCapacity)
          : ToolLatencyModel.from(state.latency, o.latencyAlpha, o.prior.toolLatencyMs, o.toolCapacity),
      runsLearned: state?.runsLearned ?? 0,
    };
  }

  /** Finished runs learned so far. */
  get runsLearned(): number {
    return this.#parts.runsLearned;
  }

  /** The round estimators for a run and their blend (see the class doc). */
  estimateRounds(context: PredictionContext): RoundEstimate {
    return this.#estimate(this.#analyser.analyse(context));
  }

  #estimate(a: RunAnalysis): RoundEstimate {
    const p = this.#parts;
    const max = this.options.maxRounds;
    const sig = p.signatures.get(a.statsKey);
    const cold = a.coldRounds;
    const model = a.tools.count === 0 ? 0 : Math.min(max, Math.max(0, p.rounds.predict(a.vector) - 1));
    const mseOf = (pick: (s: SignatureStats) => SignatureStats["coldSqError"], prior: number) =>
      Math.max(MIN_MSE, smoothedMse(pick(sig ?? p.global), smoothedMse(pick(p.global), prior)));
    const wCold = 1 / mseOf((s) => s.coldSqError, PRIOR_MSE.cold);
    const wModel = 1 / mseOf((s) => s.modelSqError, PRIOR_MSE.model);
    const signatureMean = sig !== undefined && sig.rounds.n > 0 ? sig.rounds.mean : undefined;
    const wMean = signatureMean === undefined ? 0 : 1 / mseOf((s) => s.meanSqError, PRIOR_MSE.mean);
    const sum = wCold + wModel + wMean;
    const blend = finite((wCold * cold + wModel * model + wMean * (signatureMean ?? 0)) / sum, cold);
    // Guard: the start predictions' prequential errors of the blend and of the cold estimate on the same
    // runs; where the blend has not done better by GUARD_MARGIN, the cold estimate is used. With an agent's
    // own runs (GUARD_MIN_RUNS or more) the check is on its rounds, the model calls the scheduler pays for;
    // before that it is on all runs, in tool calls (rounds x calls per round): learning across agents
    // must not trade the calls the prompt states for a better mean of rounds.
    const own = sig !== undefined && sig.blendSqError.n >= GUARD_MIN_RUNS;
    const [learned, start] = own
      ? [sig.blendSqError, sig.coldStartSqError]
      : [p.global.blendCallsSqError, p.global.coldCallsSqError];
    const guarded = learned.n < GUARD_MIN_RUNS || learned.mean > start.mean * (1 - GUARD_MARGIN);
    return {
      signature: a.signature,
      statsKey: a.statsKey,
      cold,
      model,
      signatureMean,
      weights: { cold: wCold / sum, model: wModel / sum, signatureMean: wMean / sum },
      blend,
      guarded,
      total: guarded ? cold : blend,
    };
  }

  predict(context: PredictionContext): RunPrediction {
    const p = this.#parts;
    const o = this.options;
    const a = this.#analyser.analyse(context);
    const estimate = this.#estimate(a);
    const sig = p.signatures.get(a.statsKey);
    const done = finite(Number(context.toolRoundsDone), 0);
    const remaining = a.tools.count === 0 ? 0 : this.#remaining(estimate, done, sig);
    const callsPerRound = this.#callsPerRound(a, estimate.guarded ? undefined : sig, estimate.total);
    // The mean of log tokens is a typical (median-like) count; a cost adds up expected counts (lognormal mean).
    const logPerCall =
      blendLog(sig?.logTokensPerCall, p.tokensPerCall, a, o.prior.outputTokensPerCall) +
      halfSpread(sig?.logTokensPerCall, p.global.logTokensPerCall);
    const logFinal =
      blendLog(sig?.logFinalTokens, p.finalTokens, a, o.prior.finalOutputTokens) +
      halfSpread(sig?.logFinalTokens, p.global.logFinalTokens);
    return {
      remainingToolRounds: finite(remaining, 0),
      toolCallsPerRound: finite(callsPerRound, 1),
      outputTokensPerCall: finite(Math.expm1(logPerCall), o.prior.outputTokensPerCall),
      finalOutputTokens: finite(Math.expm1(logFinal), o.prior.finalOutputTokens),
      toolLatencyMs: finite(p.latency.phaseLatency(a.tools.names, callsPerRound), o.prior.toolLatencyMs),
      toolCallProbability: a.tools.count === 0 ? 0 : (a.prior?.needsTool ?? 1),
    };
  }

  /**
   * Remaining rounds after `done`: under the learned residual distributions around the blend, or, where
   * the guard holds, under the cold start's own (a Poisson around the cold estimate, nothing learned).
   */
  #remaining(estimate: RoundEstimate, done: number, sig: SignatureStats | undefined): number {
    const max = this.options.maxRounds;
    if (estimate.guarded) return conditionalRemaining(estimate.cold, done, undefined, NO_RESIDUALS, max);
    return conditionalRemaining(estimate.blend, done, sig?.residuals, this.#parts.global.residuals, max);
  }

  /**
   * Calls per round: the calls the prompt implies (the cold start's rounds x its parallel calls) spread
   * over the rounds expected now, so that learning rounds does not lose the calls the prompt states;
   * then shrunk towards the agent's observed calls per round by its evidence.
   */
  #callsPerRound(a: RunAnalysis, sig: SignatureStats | undefined, totalRounds: number): number {
    const p = this.#parts;
    if (a.prior === undefined)
      return blendMean(sig?.callsPerRound, p.global.callsPerRound, this.options.prior.toolCallsPerRound);
    const promptCalls = a.coldRounds * a.promptCallsPerRound;
    const spread = totalRounds > 1e-6 ? promptCalls / totalRounds : a.promptCallsPerRound;
    return shrink(sig?.callsPerRound, Math.min(MAX_COLD_ROUNDS, Math.max(1, spread)));
  }

  learnRun(context: PredictionContext, observation: RunObservation): void {
    const p = this.#parts;
    const max = this.options.maxRounds;
    const rounds = Math.min(max, finite(Math.round(Number(observation?.toolRounds)), Number.NaN));
    if (!Number.isFinite(rounds)) return; // nothing trustworthy to learn from
    const a = this.#analyser.analyse({ ...context, toolRoundsDone: 0 });
    const before = this.#estimate(a);
    // What the predictor said at the run's start, unguarded, and what its cold start says: the guard
    // compares them in rounds (each round is a model call: the cost the scheduler ranks by).
    const adaptedStart = this.#remaining({ ...before, guarded: false }, 0, p.signatures.get(a.statsKey));
    const coldStart = this.#remaining({ ...before, guarded: true }, 0, undefined);
    const blendPerRound = this.#callsPerRound(a, undefined, before.blend);
    const coldPerRound = this.#callsPerRound(a, undefined, before.cold);
    let sig = p.signatures.get(a.statsKey);
    if (sig === undefined) {
      if (p.signatures.size >= this.options.signatureCapacity) {
        const oldest = p.signatures.keys().next().value;
        if (oldest !== undefined) p.signatures.delete(oldest);
      }
      sig = new SignatureStats();
      p.signatures.set(a.statsKey, sig);
    }
    const calls = Array.isArray(observation.outputTokensPerCall)
      ? observation.outputTokensPerCall.filter((t) => Number.isFinite(t) && t >= 0)
      : [];
    const perCall =
      calls.length > 0 ? Math.log1p(calls.reduce((x, y) => x + y, 0) / calls.length) : undefined;
    const final = finite(Number(observation.finalOutputTokens), Number.NaN);
    const callsPerRound = finite(Number(observation.toolCallsPerRound), Number.NaN);
    const toolCalls = rounds * (callsPerRound > 0 ? callsPerRound : 1);
    for (const s of [sig, p.global]) {
      s.blendSqError.add(clippedSquare(adaptedStart - rounds));
      s.coldStartSqError.add(clippedSquare(coldStart - rounds));
      s.blendCallsSqError.add(clippedSquare(adaptedStart * blendPerRound - toolCalls));
      s.coldCallsSqError.add(clippedSquare(coldStart * coldPerRound - toolCalls));
      s.coldSqError.add(clippedSquare(before.cold - rounds));
      s.modelSqError.add(clippedSquare(before.model - rounds));
      if (before.signatureMean !== undefined && s === sig)
        s.meanSqError.add(clippedSquare(before.signatureMean - rounds));
      s.residuals.add(rounds - Math.round(before.blend)); // around the blend, where they are applied
      s.rounds.add(rounds);
      if (rounds > 0 && callsPerRound > 0) s.callsPerRound.add(callsPerRound);
      if (perCall !== undefined) s.logTokensPerCall.add(perCall);
      s.logFinalTokens.add(Math.log1p(final));
    }
    // The all-runs "signature mean" error is that of each signature's own mean, so score it there too.
    if (before.signatureMean !== undefined)
      p.global.meanSqError.add(clippedSquare(before.signatureMean - rounds));
    if (a.tools.count > 0) p.rounds.update(a.vector, rounds + 1);
    if (perCall !== undefined) p.tokensPerCall.update(a.vector, perCall);
    if (Number.isFinite(final)) p.finalTokens.update(a.vector, Math.log1p(final));
    p.runsLearned++;
  }

  learnToolLatency(tool: string, latencyMs: number): void {
    this.#parts.latency.learn(tool, latencyMs);
  }

  /** Everything learned, as plain JSON (versioned; see {@link OnlinePredictor.fromJSON}). */
  toJSON(): PredictorState {
    const p = this.#parts;
    return {
      format: "augserve-predictor",
      version: PREDICTOR_STATE_VERSION,
      options: this.options,
      runsLearned: p.runsLearned,
      models: {
        rounds: p.rounds.toJSON(),
        tokensPerCall: p.tokensPerCall.toJSON(),
        finalTokens: p.finalTokens.toJSON(),
      },
      signatures: [...p.signatures].map(([key, s]) => [key, s.toJSON()]),
      global: p.global.toJSON(),
      latency: p.latency.toJSON(),
    };
  }

  /**
   * Restores a predictor from {@link OnlinePredictor.toJSON}'s output (or the parsed file).
   * @throws PredictorStateError when the value is not a valid state of this version.
   */
  static fromJSON(json: unknown): OnlinePredictor {
    return new OnlinePredictor(undefined, parseState(json));
  }
}

/** Signature mean when it has evidence, shrunk towards the all-runs mean, then towards the prior. */
function blendMean(
  sig: SignatureStats["rounds"] | undefined,
  global: SignatureStats["rounds"],
  prior: number,
): number {
  const g = global.n > 0 ? (global.mean * global.n + prior) / (global.n + 1) : prior;
  if (sig === undefined || sig.n === 0) return g;
  return (sig.mean * sig.n + g * 2) / (sig.n + 2);
}

/** The prompt's calls per round shrunk towards the agent's observed mean by its evidence (2 pseudo-runs). */
function shrink(sig: SignatureStats["rounds"] | undefined, fromPrompt: number): number {
  if (sig === undefined || sig.n === 0) return fromPrompt;
  return (sig.mean * sig.n + fromPrompt * 2) / (sig.n + 2);
}

/** log1p tokens: the feature model (trusted as it learns) shrunk towards the signature's mean by evidence. */
function blendLog(
  sig: SignatureStats["rounds"] | undefined,
  model: OnlineRegression,
  a: RunAnalysis,
  prior: number,
): number {
  const trust = model.updates / (model.updates + 10);
  const base = trust * model.predict(a.vector) + (1 - trust) * Math.log1p(prior);
  if (sig === undefined || sig.n === 0) return Math.min(20, Math.max(0, base));
  const w = sig.n / (sig.n + 3);
  const blended = w * sig.mean + (1 - w) * base;
  return Math.min(20, Math.max(0, Number.isFinite(blended) ? blended : base));
}

/**
 * Half the variance of log tokens, shrunk towards the all-runs variance (3 pseudo-observations), capped at 4:
 * the lognormal correction exp(sigma^2 / 2) that turns a mean of logs into an expected count.
 */
function halfSpread(sig: SignatureStats["rounds"] | undefined, global: SignatureStats["rounds"]): number {
  const g = global.variance(0);
  const n = sig === undefined ? 0 : Math.max(0, sig.n - 1);
  const v = sig === undefined || sig.n < 2 ? g : (sig.variance(0) * n + g * 3) / (n + 3);
  return Math.min(4, Math.max(0, v / 2));
}

/**
 * Creates the online Stage I predictor.
 * @throws PredictorOptionsError when options do not validate.
 * @example
 * const predictor = createPredictor({ hashBits: 12 });
 * const p = predictor.predict({ systemPrompt, userPrompt, tools, toolRoundsDone: 0 });
 */
export function createPredictor(options?: PredictorOptions): OnlinePredictor {
  // The shipped prior is loaded by default (options.pretrained); see prior/index.ts.
  return new OnlinePredictor(options);
}
