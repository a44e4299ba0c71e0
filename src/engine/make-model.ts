/**
 * `makeModel()`: a deterministic random-weight llama-architecture GGUF v3 file, for systems testing.
 *
 * This is not a language model: its weights are uniform noise, its text is meaningless. Its compute is real:
 * llama.cpp runs every matrix multiplication, attention over a real KV cache and sampling, which is what a
 * scheduler needs from a backend. Same options (size, seed) -> byte-identical file.
 *
 * Each tensor draws from its own PRNG stream (seed x tensor index), weights uniform in +-sqrt(3 / fan_in)
 * (unit-variance activations), norms 1. The output row of the end-of-sequence token is zero, so its logit
 * is 0 while others spread around it and greedy decoding never ends a reply early by chance.
 */
import { writeFile } from "node:fs/promises";
import { z } from "zod";
import { mulberry32, parseWith } from "../util/index.js";
import { EngineOptionsError } from "./errors.js";
import { encodeTensor } from "./gguf/encode.js";
import { GGML_TYPE, type GgmlType, type GgufTensor, type GgufValue, writeGguf } from "./gguf/writer.js";
import { buildVocabulary, SPECIAL_TOKENS } from "./vocab.js";

/** Shape and weight type of each generated size. */
export const MODEL_SIZES = {
  /** ~0.2 M parameters, f32 (~0.8 MB): unit tests. */
  tiny: { embedding: 64, layers: 2, heads: 4, kvHeads: 2, feedForward: 192, type: GGML_TYPE.F32 },
  /** ~3.5 M parameters, f16 (~7 MB). */
  small: { embedding: 256, layers: 4, heads: 8, kvHeads: 4, feedForward: 768, type: GGML_TYPE.F16 },
  /** ~26 M parameters, q8_0 (~28 MB). */
  medium: { embedding: 512, layers: 8, heads: 8, kvHeads: 4, feedForward: 1536, type: GGML_TYPE.Q8_0 },
} as const;
export type ModelSize = keyof typeof MODEL_SIZES;

/**
 * A context length in tokens, 64..1M: what a made model may be trained for and what a sequence of the engine's
 * server may hold. One bound for both, so any trained length is one a server can be started with.
 */
export const ContextTokensSchema = z
  .number()
  .int()
  .min(64)
  .max(1 << 20);

export const MakeModelOptionsSchema = z
  .object({
    /** Which shape (see `MODEL_SIZES`). @default "tiny" */
    size: z.enum(Object.keys(MODEL_SIZES) as [ModelSize, ...ModelSize[]]).default("tiny"),
    /** Seed of the weights: the same seed gives a byte-identical file. @default 0 */
    seed: z.number().int().min(0).max(0xffff_ffff).default(0),
    /** Trained context length written in the metadata (the longest context a server may create). @default 65536 */
    contextLength: ContextTokensSchema.default(65_536),
  })
  .strict();
/** @example makeModel({ size: "small", seed: 7 }) */
export type MakeModelOptions = z.input<typeof MakeModelOptionsSchema>;

const FILE_TYPE: Record<GgmlType, number> = { [GGML_TYPE.F32]: 0, [GGML_TYPE.F16]: 1, [GGML_TYPE.Q8_0]: 7 };

/** The GGUF bytes of a random-weight llama model. */
export function makeModel(options: MakeModelOptions = {}): Uint8Array {
  const { size, seed, contextLength } = parseWith(
    MakeModelOptionsSchema,
    options,
    (issues, cause) => new EngineOptionsError("make-model", cause, issues),
  );
  const shape = MODEL_SIZES[size];
  const vocab = buildVocabulary();
  const nVocab = vocab.tokens.length;
  const headDim = shape.embedding / shape.heads;
  const kvDim = headDim * shape.kvHeads;

  const meta = new Map<string, GgufValue>([
    ["general.architecture", { type: "string", value: "llama" }],
    ["general.name", { type: "string", value: `augserve-random-llama-${size}` }],
    [
      "general.description",
      {
        type: "string",
        value: "Random weights for systems testing (AugServe.js make-model): not a language model",
      },
    ],
    ["general.file_type", { type: "u32", value: FILE_TYPE[shape.type] }],
    ["llama.context_length", { type: "u32", value: contextLength }],
    ["llama.embedding_length", { type: "u32", value: shape.embedding }],
    ["llama.block_count", { type: "u32", value: shape.layers }],
    ["llama.feed_forward_length", { type: "u32", value: shape.feedForward }],
    ["llama.attention.head_count", { type: "u32", value: shape.heads }],
    ["llama.attention.head_count_kv", { type: "u32", value: shape.kvHeads }],
    ["llama.attention.layer_norm_rms_epsilon", { type: "f32", value: 1e-5 }],
    ["llama.rope.dimension_count", { type: "u32", value: headDim }],
    ["llama.rope.freq_base", { type: "f32", value: 10_000 }],
    ["llama.vocab_size", { type: "u32", value: nVocab }],
    ["tokenizer.ggml.model", { type: "string", value: "llama" }],
    ["tokenizer.ggml.tokens", { type: "string[]", value: vocab.tokens }],
    ["tokenizer.ggml.scores", { type: "f32[]", value: vocab.scores }],
    ["tokenizer.ggml.token_type", { type: "i32[]", value: vocab.types }],
    ["tokenizer.ggml.unknown_token_id", { type: "u32", value: SPECIAL_TOKENS.unknown }],
    ["tokenizer.ggml.bos_token_id", { type: "u32", value: SPECIAL_TOKENS.bos }],
    ["tokenizer.ggml.eos_token_id", { type: "u32", value: SPECIAL_TOKENS.eos }],
    ["tokenizer.ggml.add_bos_token", { type: "bool", value: true }],
    ["tokenizer.ggml.add_eos_token", { type: "bool", value: false }],
    ["tokenizer.ggml.add_space_prefix", { type: "bool", value: false }],
  ]);

  const tensors: GgufTensor[] = [];
  /** A [fanIn, rows] matrix (ggml dims, fanIn contiguous) of uniform noise. */
  const matrix = (name: string, fanIn: number, rows: number, type: GgmlType, zeroRow?: number) => {
    const random = mulberry32(Math.imul(seed ^ 0x5bd1e995, 2_654_435_761) + tensors.length * 0x9e3779b9);
    const bound = Math.sqrt(3 / fanIn);
    const values = new Float32Array(fanIn * rows);
    for (let i = 0; i < values.length; i++) values[i] = (random() * 2 - 1) * bound;
    if (zeroRow !== undefined) values.fill(0, zeroRow * fanIn, (zeroRow + 1) * fanIn);
    tensors.push({ name, dims: [fanIn, rows], type, data: encodeTensor(values, type) });
  };
  /** Norm weights stay f32 (llama.cpp requires it) and are 1. */
  const norm = (name: string) => {
    const values = new Float32Array(shape.embedding).fill(1);
    tensors.push({
      name,
      dims: [shape.embedding],
      type: GGML_TYPE.F32,
      data: encodeTensor(values, GGML_TYPE.F32),
    });
  };

  matrix("token_embd.weight", shape.embedding, nVocab, shape.type);
  for (let layer = 0; layer < shape.layers; layer++) {
    const blk = `blk.${layer}`;
    norm(`${blk}.attn_norm.weight`);
    matrix(`${blk}.attn_q.weight`, shape.embedding, shape.embedding, shape.type);
    matrix(`${blk}.attn_k.weight`, shape.embedding, kvDim, shape.type);
    matrix(`${blk}.attn_v.weight`, shape.embedding, kvDim, shape.type);
    matrix(`${blk}.attn_output.weight`, shape.embedding, shape.embedding, shape.type);
    norm(`${blk}.ffn_norm.weight`);
    matrix(`${blk}.ffn_gate.weight`, shape.embedding, shape.feedForward, shape.type);
    matrix(`${blk}.ffn_up.weight`, shape.embedding, shape.feedForward, shape.type);
    matrix(`${blk}.ffn_down.weight`, shape.feedForward, shape.embedding, shape.type);
  }
  norm("output_norm.weight");
  matrix("output.weight", shape.embedding, nVocab, shape.type, SPECIAL_TOKENS.eos);
  return writeGguf(meta, tensors);
}

/** Parameters of a generated size (weights only). */
export function parameterCount(size: ModelSize): number {
  const s = MODEL_SIZES[size];
  const nVocab = buildVocabulary().tokens.length;
  const kvDim = (s.embedding / s.heads) * s.kvHeads;
  const perLayer =
    2 * s.embedding +
    2 * s.embedding * s.embedding +
    2 * s.embedding * kvDim +
    3 * s.embedding * s.feedForward;
  return 2 * nVocab * s.embedding + s.embedding + s.layers * perLayer;
}

/** Writes `makeModel(options)` to `file`; resolves to the number of bytes written. */
export async function writeModelFile(file: string, options: MakeModelOptions = {}): Promise<number> {
  const bytes = makeModel(options);
  await writeFile(file, bytes);
  return bytes.length;
}
