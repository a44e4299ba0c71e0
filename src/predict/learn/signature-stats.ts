/**
 * Running statistics of one agent signature (hash of system prompt + sorted tool names): what runs of this
 * agent have looked like, and how wrong each round estimator has been on them. The errors are
 * prequential (each estimate is scored before the run that scores it is learned), so they measure
 * out-of-sample accuracy and can weight the estimators against each other.
 */
import { IntHistogram, Welford } from "./running-stats.js";

/** Residuals R - round(predicted total) are binned over this range (clamped outside it). */
export const RESIDUAL_RANGE = 16;

export interface SignatureStatsState {
  rounds: [number, number, number];
  callsPerRound: [number, number, number];
  logTokensPerCall: [number, number, number];
  logFinalTokens: [number, number, number];
  coldSqError: [number, number, number];
  modelSqError: [number, number, number];
  meanSqError: [number, number, number];
  /** Absent in states saved before the guard existed (read as no runs). */
  blendSqError?: [number, number, number] | undefined;
  coldStartSqError?: [number, number, number] | undefined;
  blendCallsSqError?: [number, number, number] | undefined;
  coldCallsSqError?: [number, number, number] | undefined;
  residuals: { min: number; counts: number[] };
}

export class SignatureStats {
  /** Total tool rounds per run. */
  rounds = new Welford();
  callsPerRound = new Welford();
  /** log1p of mean output tokens of a run's intermediate calls. */
  logTokensPerCall = new Welford();
  logFinalTokens = new Welford();
  /**
   * Squared errors (clipped: see predictor.ts) of the cold-start estimate, of the feature model, and of
   * this signature's mean.
   */
  coldSqError = new Welford();
  modelSqError = new Welford();
  meanSqError = new Welford();
  /**
   * Clipped squared errors of the start predictions (remaining rounds at the run's start) of the unguarded
   * blend and of the cold estimate, on the same runs: the guard compares them.
   */
  blendSqError = new Welford();
  coldStartSqError = new Welford();
  /** The same in tool calls (rounds x calls per round). */
  blendCallsSqError = new Welford();
  coldCallsSqError = new Welford();
  /** Empirical distribution of (true total rounds - round(blended prediction)). */
  residuals = new IntHistogram(-RESIDUAL_RANGE, RESIDUAL_RANGE);

  toJSON(): SignatureStatsState {
    return {
      rounds: this.rounds.toJSON(),
      callsPerRound: this.callsPerRound.toJSON(),
      logTokensPerCall: this.logTokensPerCall.toJSON(),
      logFinalTokens: this.logFinalTokens.toJSON(),
      coldSqError: this.coldSqError.toJSON(),
      modelSqError: this.modelSqError.toJSON(),
      meanSqError: this.meanSqError.toJSON(),
      blendSqError: this.blendSqError.toJSON(),
      coldStartSqError: this.coldStartSqError.toJSON(),
      blendCallsSqError: this.blendCallsSqError.toJSON(),
      coldCallsSqError: this.coldCallsSqError.toJSON(),
      residuals: this.residuals.toJSON(),
    };
  }

  static from(state: SignatureStatsState): SignatureStats {
    const s = new SignatureStats();
    s.rounds = Welford.from(state.rounds);
    s.callsPerRound = Welford.from(state.callsPerRound);
    s.logTokensPerCall = Welford.from(state.logTokensPerCall);
    s.logFinalTokens = Welford.from(state.logFinalTokens);
    s.coldSqError = Welford.from(state.coldSqError);
    s.modelSqError = Welford.from(state.modelSqError);
    s.meanSqError = Welford.from(state.meanSqError);
    if (state.blendSqError !== undefined) s.blendSqError = Welford.from(state.blendSqError);
    if (state.coldStartSqError !== undefined) s.coldStartSqError = Welford.from(state.coldStartSqError);
    if (state.blendCallsSqError !== undefined) s.blendCallsSqError = Welford.from(state.blendCallsSqError);
    if (state.coldCallsSqError !== undefined) s.coldCallsSqError = Welford.from(state.coldCallsSqError);
    s.residuals = IntHistogram.from(state.residuals);
    return s;
  }
}

/** Mean squared error with `pseudo` observations of `prior` mixed in (few samples -> near the prior). */
export function smoothedMse(errors: Welford, prior: number, pseudo = 3): number {
  return (errors.mean * errors.n + prior * pseudo) / (errors.n + pseudo);
}

/**
 * E[R - k | R >= k]: expected remaining rounds of a run that has done k rounds, under the predictive
 * distribution of its total R. That distribution mixes, by evidence, the empirical residuals of this
 * signature, those of all runs, and a Poisson around the predicted total `mu` (the no-history fallback):
 * q(r) = a_s Emp_s(r - mu) + (1 - a_s) [a_g Emp_g(r - mu) + (1 - a_g) Poisson(mu)(r)], a = n / (n + 5).
 * Conditioning on R >= k is what makes "3 rounds done" mean "probably a long run" rather than "mean - 3".
 * If the distribution has no mass at or above k (the run is already longer than anything expected),
 * one more round is predicted.
 */
export function conditionalRemaining(
  mu: number,
  roundsDone: number,
  signature: IntHistogram | undefined,
  global: IntHistogram,
  maxRounds: number,
): number {
  const k = Math.max(0, Math.floor(roundsDone));
  if (k > maxRounds) return 1;
  const q = new Float64Array(maxRounds + 1);
  const sigN = signature?.total ?? 0;
  const aS = sigN / (sigN + 5);
  const aG = (1 - aS) * (global.total / (global.total + 5));
  const aP = 1 - aS - aG;
  const addEmpirical = (h: IntHistogram, weight: number) => {
    if (weight <= 0 || h.total <= 0) return;
    for (let i = 0; i < h.counts.length; i++) {
      const c = h.counts[i]!;
      if (c === 0) continue;
      const r = Math.min(maxRounds, Math.max(0, Math.round(mu + h.min + i)));
      q[r]! += (weight * c) / h.total;
    }
  };
  if (signature !== undefined) addEmpirical(signature, aS);
  addEmpirical(global, aG);
  if (aP > 0) {
    // Poisson pmf by recurrence; lambda <= maxRounds (<= 256) keeps exp(-lambda) above underflow.
    const lambda = Math.min(maxRounds, Math.max(mu, 1e-9));
    let pmf = Math.exp(-lambda);
    for (let r = 0; r <= maxRounds; r++) {
      if (r > 0) pmf *= lambda / r;
      q[r]! += aP * pmf;
    }
  }
  let mass = 0;
  let moment = 0;
  for (let r = k; r <= maxRounds; r++) {
    mass += q[r]!;
    moment += (r - k) * q[r]!;
  }
  if (!(mass > 1e-12)) return 1;
  const remaining = moment / mass;
  return Number.isFinite(remaining) ? remaining : 1;
}
