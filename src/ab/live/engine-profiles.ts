/**
 * Simulator profiles fitted to the real engine (docs/engine.md, "Fitted simulator profile"): the
 * simulator's cost model with constants fitted by `npm run bench:engine -- --fit` to this engine's curve
 * (each generated size, llama.cpp on 1 CPU thread, node-llama-cpp 3.21.1, 128-token prompts, 128 output
 * tokens, 1..16 sequences) on the 2-core development machine.
 *
 * They are plain data in the simulator's `SimProfile` shape, so that a virtual-time sweep can stand in for the
 * real engine (`new Engine({ cost: profile.cost, ... })`; registering them in `SIM_PROFILES` also needs the
 * fidelity test to accept profiles whose fidelity rows live in docs/engine.md). KV capacity: the engine's
 * default of 4 sequences x 4096 tokens; `serverOverheadMs` is the HTTP path's per-request time, which the
 * in-process curve does not include (measured separately, see docs/engine.md). Fitted in ms.
 */

import { ENGINE_BATCH_TOKENS } from "../../engine/llama.js";
import type { ModelSize } from "../../engine/make-model.js";
import type { SimProfile } from "../../sim/engine/profiles.js";

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
    // HTTP round trip of a 1-token request minus the same request in process: 5.7 ms median (docs/engine.md).
    serverOverheadMs: 5,
    maxNumSeqs: 4,
    maxNumBatchedTokens: ENGINE_BATCH_TOKENS,
    maxModelLen: 4096,
  });
}

/** Fitted profiles by generated size (constants in ms; see docs/engine.md for the fit and its table). */
export const ENGINE_SIM_PROFILES: Readonly<Record<ModelSize, SimProfile>> = Object.freeze({
  // npm run bench:engine -- --fit, best of 5, on the shared 2-core development machine (docs/engine.md).
  tiny: engineProfile("tiny", { c0: 0.449, cPrefill: 0.00834, cSeq: 0.17, cCtx: 0 }),
  small: engineProfile("small", { c0: 2.0, cPrefill: 0.121, cSeq: 1.22, cCtx: 0 }),
  medium: engineProfile("medium", { c0: 0, cPrefill: 0.487, cSeq: 2.41, cCtx: 5.4e-4 }),
});
