/**
 * Simulator profiles: a model size on a GPU setup, with the cost-model constants fitted to published vLLM
 * figures (docs/simulator.md lists each constant with its source; the figures are copied, with their sources,
 * into `src/sim/fidelity.ts`) and the KV capacity derived from memory sizes.
 */
import { UnknownProfileError } from "../errors.js";
import type { CostModel } from "./cost-model.js";

/** What the KV capacity of a profile is computed from (vLLM's profiling run, in closed form). */
export interface KvDerivation {
  /** Memory of one GPU as the driver reports it, GiB (H100 80GB: 81,559 MiB; A100 80GB: 81,920 MiB). */
  gpuMemoryGiB: number;
  /** GPUs of the tensor-parallel group. */
  gpus: number;
  /** vLLM's `--gpu-memory-utilization`. @default 0.9 */
  gpuMemoryUtilization: number;
  /** Weights of the whole model, GiB (bf16: 2 bytes per parameter). */
  weightsGiB: number;
  /** Per-GPU memory that is neither weights nor KV (activations of the profiling run, CUDA graphs), GiB. */
  nonKvOverheadGiB: number;
  /** KV bytes per token over all GPUs: 2 (K and V) x layers x KV heads x head dim x 2 bytes. */
  kvBytesPerToken: number;
}

/** KV capacity in tokens, rounded down to whole blocks of `blockSize`. */
export function deriveKvCapacityTokens(d: KvDerivation, blockSize = 16): number {
  const perGpuGiB = d.gpuMemoryGiB * d.gpuMemoryUtilization - d.weightsGiB / d.gpus - d.nonKvOverheadGiB;
  const tokens = (d.gpus * perGpuGiB * 2 ** 30) / d.kvBytesPerToken;
  return Math.floor(tokens / blockSize) * blockSize;
}

export interface SimProfile {
  name: string;
  /** The model id `/v1/models` reports and the `model_name` metric label carries. */
  modelName: string;
  description: string;
  cost: CostModel;
  kv: KvDerivation;
  /** Derived from `kv` (see `deriveKvCapacityTokens`). */
  kvCapacityTokens: number;
  /** CPU time of the API server per request (tokenising, detokenising, HTTP), ms: delays its TTFT. */
  serverOverheadMs: number;
  /** vLLM V1's API-server defaults for the GPU (1024 / 8192 on >= 70 GiB, 256 / 2048 below). */
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  maxModelLen: number;
}

const GiB = 2 ** 30;
/** Llama-3-8B: 32 layers x 8 KV heads x 128 x 2 (K, V) x 2 bytes = 128 KiB per token. */
const LLAMA3_8B_KV_BYTES = 2 * 32 * 8 * 128 * 2;
/** Llama-3-70B: 80 layers x 8 KV heads x 128 x 2 x 2 bytes = 320 KiB per token. */
const LLAMA3_70B_KV_BYTES = 2 * 80 * 8 * 128 * 2;
/** NIM reports 14.96 GiB of llama3-8b bf16 weights (calibration row 14). */
const LLAMA3_8B_WEIGHTS_GIB = 14.96;
/** 70.55e9 parameters x 2 bytes. */
const LLAMA3_70B_WEIGHTS_GIB = (70.55e9 * 2) / GiB;
/**
 * Fitted so that the 8B on an 80 GB card gets NIM's 27,793 blocks (444,688 tokens, calibration row 14):
 * 0.9 x 79.65 - 14.96 - 444,688 x 128 KiB = 2.44 GiB.
 */
const NON_KV_OVERHEAD_GIB = 2.44;
const H100_GIB = 81_559 / 1024;
const A100_GIB = 81_920 / 1024;

function profile(p: Omit<SimProfile, "kvCapacityTokens">): SimProfile {
  return Object.freeze({ ...p, kvCapacityTokens: deriveKvCapacityTokens(p.kv) });
}

const V1_LIMITS = { maxNumSeqs: 1024, maxNumBatchedTokens: 8192 } as const;
/**
 * vLLM's API-server defaults on every GPU below 70 GiB (`EngineArgs.get_batch_defaults`: 256 sequences,
 * 2,048 batched tokens).
 */
const V1_SMALL_GPU_LIMITS = { maxNumSeqs: 256, maxNumBatchedTokens: 2048 } as const;
/** NVIDIA L4 as the driver reports it (23,034 MiB of its 24 GB GDDR6). */
const L4_GIB = 23_034 / 1024;
/**
 * Non-KV memory of 8B on a 24-GB card: 0.41 GiB measured by vLLM's profiler on a 24-GB RTX 3090 with
 * 512-token chunks (vllm-project/vllm#10517: peak torch 15.05 GiB - weights 14.99 + non-torch 0.35), plus
 * ~0.2 GiB of activations for 2,048-token chunks and ~0.4 GiB of V1's CUDA graphs: 1.0 GiB.
 */
const SMALL_GPU_NON_KV_OVERHEAD_GIB = 1.0;

/** Mistral-7B (v0.1-v0.3): 32 layers x 8 KV heads x 128 x 2 (K, V) x 2 bytes = 128 KiB per token, as Llama-3-8B. */
const MISTRAL_7B_KV_BYTES = 2 * 32 * 8 * 128 * 2;
/** Mistral-7B-Instruct-v0.3: 7,248,023,552 parameters x 2 bytes (bf16) = 13.50 GiB. */
const MISTRAL_7B_WEIGHTS_GIB = (7_248_023_552 * 2) / GiB;
/** GeForce RTX 4090 as the driver reports it (24,564 MiB of its 24 GB GDDR6X). */
const RTX4090_GIB = 24_564 / 1024;
/** Fitted to the published sweep (docs/simulator.md, "mistral7b-rtx4090"). */
const RTX4090_MISTRAL7B_COST: CostModel = {
  c0: 17.5,
  kToken: 0.15,
  cPrefill: 0,
  cSeq: 0.015,
  cCtx: 1.73e-4,
  cAttn: 3.2e-6,
};

/** NVIDIA A10G (AWS g5) as the driver reports it: 23,028 MiB of its 24 GB GDDR6. */
const A10G_GIB = 23_028 / 1024;
/**
 * Non-KV memory of 8B under vLLM 0.4.3 on a 24-GB card: its profiling run prefills max_num_batched_tokens =
 * 8,192 tokens at once (no chunked prefill), ~1.0 GiB of activations over the weights (16x the 0.06 GiB vLLM's
 * profiler measured for 512-token chunks on a 24-GB RTX 3090, vllm-project/vllm#10517), plus the 0.35 GiB of
 * non-torch memory (CUDA context, cuBLAS workspace) measured there. 0.4.3 captures its CUDA graphs after the KV
 * cache is allocated, outside the 0.9, so they take nothing from it.
 */
const V043_SMALL_GPU_NON_KV_OVERHEAD_GIB = 1.35;
/**
 * vLLM 0.4.3's defaults (`EngineArgs`/`SchedulerConfig`): 256 sequences; without chunked prefill (off by default
 * in 0.4.3) `max_num_batched_tokens` = max(max_model_len, 2048) = 8,192 for Llama-3-8B.
 */
const V043_LIMITS = { maxNumSeqs: 256, maxNumBatchedTokens: 8192 } as const;
/** Fitted to the published llmperf sweep on that card (docs/simulator.md, "llama3-8b-a10g"). */
const A10G_LLAMA3_8B_COST: CostModel = {
  c0: 30.4,
  kToken: 0.225,
  cPrefill: 0,
  cSeq: 0.015,
  cCtx: 2.9e-4,
  cAttn: 7.5e-6,
};

/** Mistral-7B on one RTX 4090 as vLLM V1 runs it by default; `mistral7b-rtx4090-seqs4` differs only in
 * `maxNumSeqs`. */
const MISTRAL7B_RTX4090: Omit<SimProfile, "kvCapacityTokens"> = {
  name: "mistral7b-rtx4090",
  modelName: "mistralai/Mistral-7B-Instruct-v0.3",
  description:
    "Mistral-7B-Instruct-v0.3 bf16 on 1x GeForce RTX 4090 (24 GB, 1,008 GB/s), vLLM V1 defaults for that GPU",
  // Fitted to mushfiqrahman.dev's vLLM concurrency sweep on that card (docs/simulator.md, "mistral7b-rtx4090").
  cost: RTX4090_MISTRAL7B_COST,
  kv: {
    gpuMemoryGiB: RTX4090_GIB,
    gpus: 1,
    gpuMemoryUtilization: 0.9,
    weightsGiB: MISTRAL_7B_WEIGHTS_GIB,
    nonKvOverheadGiB: SMALL_GPU_NON_KV_OVERHEAD_GIB,
    kvBytesPerToken: MISTRAL_7B_KV_BYTES,
  },
  serverOverheadMs: 8,
  ...V1_SMALL_GPU_LIMITS,
  // The model's own 32,768 (max_position_embeddings): the KV cache holds more, so vLLM starts with it.
  maxModelLen: 32_768,
};

/** KV memory of Llama-3-8B bf16 on one 80-GB card of `gpuMemoryGiB` (as its driver reports it). */
function llama3_8bKv(gpuMemoryGiB: number): SimProfile["kv"] {
  return {
    gpuMemoryGiB,
    gpus: 1,
    gpuMemoryUtilization: 0.9,
    weightsGiB: LLAMA3_8B_WEIGHTS_GIB,
    nonKvOverheadGiB: NON_KV_OVERHEAD_GIB,
    kvBytesPerToken: LLAMA3_8B_KV_BYTES,
  };
}

/** vLLM V1's server on 80-GB cards with Llama-3(.1): its defaults there and the model's 131,072 context. */
const V1_80GIB_SERVER = { serverOverheadMs: 8, ...V1_LIMITS, maxModelLen: 131_072 } as const;

/** The shipped profiles, by name. */
export const SIM_PROFILES = Object.freeze({
  "llama3-8b-h100": profile({
    name: "llama3-8b-h100",
    modelName: "meta-llama/Llama-3.1-8B-Instruct",
    description: "Llama-3(.1)-8B bf16 on 1x H100-80GB SXM, vLLM V1",
    cost: { c0: 6.5, kToken: 0.0215, cPrefill: 0, cSeq: 0.015, cCtx: 5.6e-5, cAttn: 5.3e-7 },
    kv: llama3_8bKv(H100_GIB),
    ...V1_80GIB_SERVER,
  }),
  "llama3-8b-a100": profile({
    name: "llama3-8b-a100",
    modelName: "meta-llama/Llama-3.1-8B-Instruct",
    description: "Llama-3(.1)-8B bf16 on 1x A100-80GB SXM, vLLM V1",
    cost: { c0: 11.3, kToken: 0.069, cPrefill: 0, cSeq: 0.015, cCtx: 9.2e-5, cAttn: 1.7e-6 },
    kv: llama3_8bKv(A100_GIB),
    ...V1_80GIB_SERVER,
  }),
  "llama3-70b-h100x4": profile({
    name: "llama3-70b-h100x4",
    modelName: "meta-llama/Llama-3.1-70B-Instruct",
    description: "Llama-3(.1)-70B bf16 on 4x H100-80GB SXM (tensor parallel 4), vLLM V1",
    cost: { c0: 17, kToken: 0.08, cPrefill: 0, cSeq: 0.015, cCtx: 3.5e-5, cAttn: 6.6e-7 },
    kv: {
      gpuMemoryGiB: H100_GIB,
      gpus: 4,
      gpuMemoryUtilization: 0.9,
      weightsGiB: LLAMA3_70B_WEIGHTS_GIB,
      nonKvOverheadGiB: NON_KV_OVERHEAD_GIB,
      kvBytesPerToken: LLAMA3_70B_KV_BYTES,
    },
    ...V1_80GIB_SERVER,
  }),
  "llama3-8b-l4": profile({
    name: "llama3-8b-l4",
    modelName: "meta-llama/Llama-3.1-8B-Instruct",
    description:
      "Llama-3.1-8B bf16 on 1x NVIDIA L4 (24 GB, 300 GB/s), vLLM V1 defaults for that GPU, --max-model-len 32768",
    // Scaled from the H100 fit by the datasheets (bandwidth 300 vs 3,350 GB/s, bf16 121 vs 989 TFLOPS dense) at
    // the efficiencies measured on H100 and A100 (docs/simulator.md, "llama3-8b-l4").
    cost: { c0: 71, kToken: 0.177, cPrefill: 0, cSeq: 0.015, cCtx: 5.8e-4, cAttn: 4.3e-6 },
    kv: {
      gpuMemoryGiB: L4_GIB,
      gpus: 1,
      gpuMemoryUtilization: 0.9,
      weightsGiB: LLAMA3_8B_WEIGHTS_GIB,
      nonKvOverheadGiB: SMALL_GPU_NON_KV_OVERHEAD_GIB,
      kvBytesPerToken: LLAMA3_8B_KV_BYTES,
    },
    serverOverheadMs: 8,
    ...V1_SMALL_GPU_LIMITS,
    // vLLM refuses to start with the model's 131,072 (more than the KV cache holds); 32k is what L4 users set.
    maxModelLen: 32_768,
  }),
  "mistral7b-rtx4090": profile(MISTRAL7B_RTX4090),
  "mistral7b-rtx4090-seqs4": profile({
    ...MISTRAL7B_RTX4090,
    name: "mistral7b-rtx4090-seqs4",
    description:
      "Mistral-7B-Instruct-v0.3 bf16 on 1x GeForce RTX 4090 (24 GB), vLLM V1 with --max-num-seqs 4: a desktop " +
      "server with few sequences in flight, as llama.cpp's --parallel 4",
    // The same card, model and fit as mistral7b-rtx4090: its published concurrency-4 rows are exactly four
    // sequences in flight (docs/simulator.md, "mistral7b-rtx4090-seqs4").
    maxNumSeqs: 4,
  }),
  "llama3-8b-a10g": profile({
    name: "llama3-8b-a10g",
    modelName: "meta-llama/Meta-Llama-3-8B-Instruct",
    description:
      "Meta-Llama-3-8B-Instruct bf16 on 1x NVIDIA A10G (AWS g5, 24 GB, 600 GB/s), vLLM 0.4.3 defaults for that GPU",
    // Fitted to an llmperf concurrency sweep of vLLM 0.4.3 on a g5.2xlarge (docs/simulator.md, "llama3-8b-a10g").
    cost: A10G_LLAMA3_8B_COST,
    kv: {
      gpuMemoryGiB: A10G_GIB,
      gpus: 1,
      gpuMemoryUtilization: 0.9,
      weightsGiB: LLAMA3_8B_WEIGHTS_GIB,
      nonKvOverheadGiB: V043_SMALL_GPU_NON_KV_OVERHEAD_GIB,
      kvBytesPerToken: LLAMA3_8B_KV_BYTES,
    },
    serverOverheadMs: 8,
    ...V043_LIMITS,
    // Llama-3-8B's own 8,192 (max_position_embeddings); the KV cache holds more, so vLLM starts with it.
    maxModelLen: 8192,
  }),
} satisfies Record<string, SimProfile>);

export type SimProfileName = keyof typeof SIM_PROFILES;
export const DEFAULT_PROFILE: SimProfileName = "llama3-8b-h100";

/** The profile of that name; throws `UnknownProfileError` listing the known ones. */
export function getProfile(name: string): SimProfile {
  const found = (SIM_PROFILES as Record<string, SimProfile>)[name];
  if (found === undefined) throw new UnknownProfileError(name, Object.keys(SIM_PROFILES));
  return found;
}
