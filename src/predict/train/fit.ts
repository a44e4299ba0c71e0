/**
 * Offline fitting of the prior's two regressions: L2-regularised generalised linear models solved by
 * Newton's method (iteratively reweighted least squares) on standardised features. Deterministic: no
 * random initialisation, no sampling; the same rows give the same weights on every machine up to
 * floating-point summation order, which is fixed here.
 */
import { PRIOR_FEATURES } from "../prior/features.js";
import { PRIOR_FORMAT, PRIOR_VERSION, type PriorWeights } from "../prior/model.js";

export type Family = "logistic" | "poisson";

export interface TrainingRow {
  /** Raw prior features ({@link PRIOR_FEATURES} order). */
  x: Float64Array;
  /** True number of tool calls. */
  calls: number;
}

/**
 * L2 penalty of the shipped prior per standardised weight, chosen by 5-fold cross-validation on the
 * tuning set among 0.1, 1, 3, 10, 30 (bench:predict; docs/predictor.md): 10 is the first at which no
 * category ranks below the regex baseline, and the strongest penalty that also generalises best.
 */
export const DEFAULT_L2 = 10;

export interface FitOptions {
  /** L2 penalty per standardised weight (the bias is not penalised). @default DEFAULT_L2 */
  l2?: number;
  /** Newton iterations at most. @default 50 */
  iterations?: number;
}

/** Solves A x = b for symmetric positive definite A (Cholesky); A is n x n row-major. */
function solve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j]!;
      for (let k = 0; k < j; k++) sum -= L[i * n + k]! * L[j * n + k]!;
      L[i * n + j] = i === j ? Math.sqrt(Math.max(sum, 1e-12)) : sum / L[j * n + j]!;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= L[i * n + k]! * y[k]!;
    y[i] = sum / L[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i]!;
    for (let k = i + 1; k < n; k++) sum -= L[k * n + i]! * x[k]!;
    x[i] = sum / L[i * n + i]!;
  }
  return x;
}

/** Fits one GLM on standardised rows `z` with targets `y`; returns the weights. */
export function fitGlm(
  z: readonly Float64Array[],
  y: readonly number[],
  family: Family,
  options: FitOptions = {},
): Float64Array {
  const n = z[0]?.length ?? 0;
  const l2 = options.l2 ?? DEFAULT_L2;
  const w = new Float64Array(n);
  if (family === "poisson") {
    const mean = y.reduce((s, v) => s + v, 0) / Math.max(1, y.length);
    w[0] = Math.log(Math.max(mean, 1e-3));
  }
  for (let iteration = 0; iteration < (options.iterations ?? 50); iteration++) {
    const hessian = new Float64Array(n * n);
    const gradient = new Float64Array(n);
    for (let r = 0; r < z.length; r++) {
      const x = z[r]!;
      let eta = 0;
      for (let i = 0; i < n; i++) eta += w[i]! * x[i]!;
      let mu: number;
      let weight: number;
      if (family === "logistic") {
        mu = 1 / (1 + Math.exp(-Math.max(-30, Math.min(30, eta))));
        weight = Math.max(mu * (1 - mu), 1e-6);
      } else {
        mu = Math.exp(Math.min(eta, 6));
        weight = mu;
      }
      const residual = y[r]! - mu;
      for (let i = 0; i < n; i++) {
        const xi = x[i]!;
        if (xi === 0) continue;
        gradient[i] = gradient[i]! + residual * xi;
        for (let j = 0; j <= i; j++) hessian[i * n + j] = hessian[i * n + j]! + weight * xi * x[j]!;
      }
    }
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) hessian[j * n + i] = hessian[i * n + j]!;
      if (i > 0) {
        hessian[i * n + i] = hessian[i * n + i]! + l2;
        gradient[i] = gradient[i]! - l2 * w[i]!;
      } else hessian[0] = hessian[0]! + 1e-6;
    }
    const step = solve(hessian, gradient, n);
    let change = 0;
    for (let i = 0; i < n; i++) {
      w[i] = w[i]! + step[i]!;
      change = Math.max(change, Math.abs(step[i]!));
    }
    if (change < 1e-8) break;
  }
  return w;
}

/** Trains the prior on rows; `trainedOn` is recorded in the weights as provenance. */
export function trainPrior(
  rows: readonly TrainingRow[],
  trainedOn: Record<string, unknown>,
  options: FitOptions = {},
): PriorWeights {
  const n = PRIOR_FEATURES.length;
  const mean = new Array<number>(n).fill(0);
  const scale = new Array<number>(n).fill(1);
  for (let i = 1; i < n; i++) {
    let sum = 0;
    for (const row of rows) sum += row.x[i]!;
    mean[i] = sum / Math.max(1, rows.length);
    let squares = 0;
    for (const row of rows) squares += (row.x[i]! - mean[i]!) ** 2;
    const sd = Math.sqrt(squares / Math.max(1, rows.length));
    scale[i] = sd > 1e-9 ? sd : 1;
  }
  const standardise = (x: Float64Array) => Float64Array.from(x, (v, i) => (v - mean[i]!) / scale[i]!);
  const all = rows.map((row) => standardise(row.x));
  const needsTool = fitGlm(
    all,
    rows.map((row) => (row.calls > 0 ? 1 : 0)),
    "logistic",
    options,
  );
  const positives = rows.flatMap((row, i) => (row.calls > 0 ? [i] : []));
  const extraCalls = fitGlm(
    positives.map((i) => all[i]!),
    positives.map((i) => rows[i]!.calls - 1),
    "poisson",
    options,
  );
  const round = (v: number) => Math.round(v * 1e6) / 1e6;
  return {
    format: PRIOR_FORMAT,
    version: PRIOR_VERSION,
    features: [...PRIOR_FEATURES],
    mean: mean.map(round),
    scale: scale.map(round),
    needsTool: [...needsTool].map(round),
    extraCalls: [...extraCalls].map(round),
    trainedOn,
  };
}
