/**
 * Step-time model of a vLLM-like engine on one GPU (or one tensor-parallel group).
 *
 *   t_step = max(c0, kToken * (P + D)) + cPrefill * P + cSeq * D + cCtx * C + cAttn * A
 *
 * - P: prompt tokens computed in the step (prefill chunks); D: sequences decoding one token;
 * - C: sum of the context lengths the decoding sequences attend to (decode attention reads their KV);
 * - A: sum over prefill chunks of chunk * (tokens before the chunk + chunk / 2) (prefill attention, quadratic).
 *
 * Why this form: the linear layers read all weights once per step (memory-bound floor `c0`) until the batch's
 * tokens make them compute-bound (`kToken` per token, Vidur's per-operator profiles show the knee near 300
 * tokens on H100); decode attention is memory-bound in the KV it reads (`cCtx`); `cSeq` covers per-sequence
 * sampling and bookkeeping. With `kToken = 0` it is the plain linear model of calibration.md.
 * Constants and their sources: docs/simulator.md.
 */

/**
 * Cost-model constants, all in ms: the simulated server's physics. Not the scheduler's `CostModel`, which is the
 * client's online estimate (two learned per-token rates) of whatever server it talks to.
 */
export interface CostModel {
  /** Fixed cost of a step: reading the weights once (memory-bound floor). */
  c0: number;
  /** Compute-bound linear-layer cost per batched token (prefill + decode); 0 disables the compute-bound term. */
  kToken: number;
  /** Extra cost per prefill token on top of the linear layers. */
  cPrefill: number;
  /** Cost per decoding sequence. */
  cSeq: number;
  /** Cost per context token attended by decoding sequences. */
  cCtx: number;
  /** Prefill attention cost per (token x prefix token). */
  cAttn: number;
}

/** Duration of one step, ms. */
export function stepDurationMs(
  model: CostModel,
  prefillTokens: number,
  decodeSeqs: number,
  decodeContext: number,
  prefillAttention: number,
): number {
  const linear = Math.max(model.c0, model.kToken * (prefillTokens + decodeSeqs));
  return (
    linear +
    model.cPrefill * prefillTokens +
    model.cSeq * decodeSeqs +
    model.cCtx * decodeContext +
    model.cAttn * prefillAttention
  );
}

/**
 * Total duration of `k` decode-only steps of `decodeSeqs` sequences whose contexts sum to `decodeContext` at the
 * first step and grow by `decodeSeqs` per step: an arithmetic series, summed in closed form.
 */
export function fusedDecodeDurationMs(
  model: CostModel,
  decodeSeqs: number,
  decodeContext: number,
  k: number,
): number {
  const first = stepDurationMs(model, 0, decodeSeqs, decodeContext, 0);
  return k * first + (model.cCtx * decodeSeqs * k * (k - 1)) / 2;
}

/**
 * Largest k >= 1 (and <= maxSteps) such that `fusedDecodeDurationMs(k) <= maxDurationMs`; 1 if even one step
 * is longer.
 */
export function fusedStepsWithin(
  model: CostModel,
  decodeSeqs: number,
  decodeContext: number,
  maxSteps: number,
  maxDurationMs: number,
): number {
  if (!Number.isFinite(maxDurationMs)) return maxSteps;
  const first = stepDurationMs(model, 0, decodeSeqs, decodeContext, 0);
  const growth = (model.cCtx * decodeSeqs) / 2;
  // Solve growth * k^2 + (first - growth) * k - maxDurationMs <= 0 for k.
  let k: number;
  if (growth <= 0) k = Math.floor(maxDurationMs / first);
  else {
    const b = first - growth;
    k = Math.floor((-b + Math.sqrt(b * b + 4 * growth * maxDurationMs)) / (2 * growth));
  }
  while (k > 1 && fusedDecodeDurationMs(model, decodeSeqs, decodeContext, k) > maxDurationMs) k--;
  return Math.max(1, Math.min(maxSteps, k));
}
