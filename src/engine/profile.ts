/**
 * Simulator profiles fitted to the real engine (docs/engine.md, "Fitted simulator profile"): the
 * simulator's cost model with constants fitted by `npm run bench:engine -- --fit` to this engine's curve
 * (each generated size, llama.cpp on 1 CPU thread, node-llama-cpp 3.21.1, 128-token prompts, 128 output
 * tokens, 1..16 sequences) on the 2-core development machine.
 *
 * They are plain data in the simulator's `SimProfile` shape, so the simulator can load them (register them
 * in `SIM_PROFILES`) and a virtual-time sweep can stand in for the real engine. KV capacity: the engine's
 * default of 4 sequences x 4096 tokens; `serverOverheadMs` is the HTTP path's per-request time, which the
 * in-process curve does not include (measured separately, see docs/engine.md).
 */
import type { SimProfile } from "../sim/engine/profiles.js";
import { ENGINE_BATCH_TOKENS } from "./llama.js";
import type { ModelSize } from "./make-model.js";

const KV_TOKENS = 4 * 4096;

/** KV bytes per token of a generated size: 2 (K, V) x layers x KV heads x head dim x 2 bytes (f16 cache). */
const KV_BYTES: Record<ModelSize, number> = {
  tiny: 2 * 2 * 2 * 16 * 2,
  small: 2 * 4 * 4 * 32 * 2,
  medium: 2 * 8 * 4 * 64 * 2,
};

function engineProfile(size: ModelSize, cost: Omit<SimProfile["cost"], "kToken" | "cAttn">): SimProfile {
  const kvBytesPerToken = KV_BYTES[size];
  return Object.freeze({
    name: `augserve-${size}-cpu1`,
    modelName: size,
    description: `AugServe's random-weight llama (${size}) on llama.cpp, 1 CPU thread (node-llama-cpp 3.21.1)`,
    cost: { ...cost, kToken: 0, cAttn: 0 },
    // RAM for the KV cells, written in the simulator's GPU-memory terms (no weights, no other overhead).
    kv: {
      gpuMemoryGiB: (KV_TOKENS * kvBytesPerToken) / 2 ** 30,
      gpus: 1,
      gpuMemoryUtilization: 1,
      weightsGiB: 0,
      nonKvOverheadGiB: 0,
      kvBytesPerToken,
    },
    kvCapacityTokens: KV_TOKENS,
    serverOverheadMs: 1,
    maxNumSeqs: 4,
    maxNumBatchedTokens: ENGINE_BATCH_TOKENS,
    maxModelLen: 4096,
  });
}

/** Fitted profiles by generated size (constants in ms; see docs/engine.md for the fit and its table). */
export const ENGINE_SIM_PROFILES: Readonly<Record<ModelSize, SimProfile>> = Object.freeze({
  tiny: engineProfile("tiny", { c0: 0.3, cPrefill: 0.02, cSeq: 0.3, cCtx: 1e-4 }),
  small: engineProfile("small", { c0: 0.3, cPrefill: 0.1, cSeq: 1.2, cCtx: 1e-4 }),
  medium: engineProfile("medium", { c0: 0.5, cPrefill: 0.4, cSeq: 2, cCtx: 1e-4 }),
});
