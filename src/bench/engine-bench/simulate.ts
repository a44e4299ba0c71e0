/**
 * The simulator's prediction of a curve point: the same burst (`c` requests of `promptTokens` distinct
 * tokens, `outputTokens` each) on the simulator's engine in virtual time with a given cost model, at most
 * `c` sequences and llama.cpp server's batch of 2048 tokens.
 */

import { ENGINE_BATCH_TOKENS } from "../../engine/llama.js";
import type { CostModel } from "../../sim/engine/cost-model.js";
import { Engine } from "../../sim/engine/engine.js";
import type { CurvePoint } from "./curve.js";

export function simulateCurvePoint(
  cost: CostModel,
  serverOverheadMs: number,
  concurrency: number,
  promptTokens: number,
  outputTokens: number,
): CurvePoint {
  const perSequence = Math.ceil((promptTokens + outputTokens + 16) / 16) * 16;
  const engine = new Engine({
    cost,
    maxNumSeqs: concurrency,
    maxNumBatchedTokens: ENGINE_BATCH_TOKENS,
    kvCapacityTokens: concurrency * perSequence,
    maxModelLen: perSequence,
  });
  for (let i = 0; i < concurrency; i++) {
    const prompt = Array.from({ length: promptTokens }, (_, k) => i * 1_000_003 + k);
    engine.add({ id: String(i), promptTokens: prompt, maxTokens: outputTokens });
  }
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  let now = serverOverheadMs;
  for (let out = engine.step(); out !== null; out = engine.step()) {
    now += out.durationMs;
    for (const e of out.emitted) {
      if (e.tokens === 0) continue;
      if (e.first) first.set(e.id, now);
      last.set(e.id, now);
    }
  }
  let ttft = 0;
  let rate = 0;
  let end = 0;
  for (const [id, f] of first) {
    const l = last.get(id) ?? f;
    ttft += f;
    rate += ((outputTokens - 1) * 1000) / Math.max(l - f, 1e-9);
    end = Math.max(end, l);
  }
  return {
    concurrency,
    ttftMs: ttft / concurrency,
    perSequenceTokensPerS: rate / concurrency,
    aggregateTokensPerS: (concurrency * outputTokens * 1000) / end,
  };
}
