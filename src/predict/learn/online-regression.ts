/**
 * An online generalised linear model over hashed sparse features, trained by AdaGrad one observation at
 * a time (when a run ends). Two losses:
 * - `poisson`: a count y >= 0 with mean exp(w.x) (tool rounds: counts whose spread grows with the mean);
 * - `squared`: a real y with mean w.x (log token counts).
 *
 * AdaGrad gives each weight its own step size, lr / sqrt(sum of its squared gradients): the dense
 * features, seen on every run, settle quickly, while a rare word keeps a large step until it has been
 * seen. A small L2 term keeps weights of one-off words bounded. Gradients are clipped, so one absurd
 * observation cannot blow the model up; the linear predictor is clamped before `exp`.
 */
import type { SparseVector } from "../features/hashing.js";

export type RegressionLoss = "poisson" | "squared";

/** Serialisable state: only the touched weights are kept (`[index, weight, squared-gradient sum]`). */
export interface RegressionState {
  loss: RegressionLoss;
  size: number;
  updates: number;
  weights: [number, number, number][];
}

const MAX_LINEAR = 8; // exp(8) ~ 3000: far above any count the predictor deals with.
const GRADIENT_CLIP = 10;

export class OnlineRegression {
  readonly loss: RegressionLoss;
  readonly #weights: Float64Array;
  readonly #g2: Float64Array;
  readonly #learningRate: number;
  readonly #l2: number;
  #updates = 0;

  /**
   * @param size number of buckets (the hashing table size)
   * @param initial weights to start from, by bucket (e.g. a bias that predicts the prior)
   */
  constructor(
    loss: RegressionLoss,
    size: number,
    learningRate: number,
    l2: number,
    initial: Record<number, number> = {},
  ) {
    this.loss = loss;
    this.#weights = new Float64Array(size);
    this.#g2 = new Float64Array(size);
    this.#learningRate = learningRate;
    this.#l2 = l2;
    for (const [index, weight] of Object.entries(initial)) this.#weights[Number(index)] = weight;
  }

  /** Observations learned so far. */
  get updates(): number {
    return this.#updates;
  }

  /** w.x, clamped for the Poisson link. */
  linear(x: SparseVector): number {
    let sum = 0;
    const w = this.#weights;
    for (let i = 0; i < x.indices.length; i++) sum += (w[x.indices[i]!] ?? 0) * x.values[i]!;
    if (!Number.isFinite(sum)) return 0;
    return this.loss === "poisson" ? Math.max(-MAX_LINEAR, Math.min(MAX_LINEAR, sum)) : sum;
  }

  /** The model's mean for `x`: exp(w.x) (Poisson) or w.x (squared). */
  predict(x: SparseVector): number {
    const z = this.linear(x);
    return this.loss === "poisson" ? Math.exp(z) : z;
  }

  /** One AdaGrad step on the observation (x, y). Non-finite targets are ignored. */
  update(x: SparseVector, y: number): void {
    if (!Number.isFinite(y)) return;
    const residual = this.predict(x) - y; // d(loss)/d(w.x) for both losses
    const g = Math.max(-GRADIENT_CLIP, Math.min(GRADIENT_CLIP, residual));
    const w = this.#weights;
    const g2 = this.#g2;
    for (let i = 0; i < x.indices.length; i++) {
      const j = x.indices[i]!;
      if (j < 0 || j >= w.length) continue;
      const grad = g * x.values[i]! + this.#l2 * w[j]!;
      g2[j]! += grad * grad;
      w[j]! -= (this.#learningRate * grad) / (Math.sqrt(g2[j]!) + 1e-8);
    }
    this.#updates++;
  }

  toJSON(): RegressionState {
    const weights: [number, number, number][] = [];
    for (let i = 0; i < this.#weights.length; i++) {
      if (this.#weights[i] !== 0 || this.#g2[i] !== 0) weights.push([i, this.#weights[i]!, this.#g2[i]!]);
    }
    return { loss: this.loss, size: this.#weights.length, updates: this.#updates, weights };
  }

  /** Restores a model; entries outside the table are an error (the caller validated the size). */
  static from(state: RegressionState, learningRate: number, l2: number): OnlineRegression {
    const model = new OnlineRegression(state.loss, state.size, learningRate, l2);
    for (const [index, weight, g2] of state.weights) {
      if (index < 0 || index >= state.size)
        throw new RangeError(`weight index ${index} outside [0, ${state.size})`);
      model.#weights[index] = weight;
      model.#g2[index] = g2;
    }
    model.#updates = state.updates;
    return model;
  }
}
