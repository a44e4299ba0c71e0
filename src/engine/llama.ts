/**
 * Loading llama.cpp through the optional peer dependency node-llama-cpp, imported dynamically so that the
 * rest of the library (and its users) never load it.
 *
 * Threads: llama.cpp's defaults use every core for each decode; next to other work on a small machine they
 * oversubscribe and run ~400x slower. The engine runs with `threads` (1 by default) everywhere.
 */
import { BatchGate } from "./batch-gate.js";
import { NodeLlamaCppMissingError } from "./errors.js";

/** llama.cpp server's default logical batch (`--batch-size`, n_batch): a burst of prompts prefills together. */
export const ENGINE_BATCH_TOKENS = 2048;

type NodeLlamaCpp = typeof import("node-llama-cpp");
export type Llama = Awaited<ReturnType<NodeLlamaCpp["getLlama"]>>;
export type LlamaModel = Awaited<ReturnType<Llama["loadModel"]>>;
export type LlamaContext = Awaited<ReturnType<LlamaModel["createContext"]>>;
export type LlamaContextSequence = ReturnType<LlamaContext["getSequence"]>;
export type Token = ReturnType<LlamaModel["tokenize"]>[number];

/** Imports node-llama-cpp, or throws `NodeLlamaCppMissingError` saying how to install it. */
export async function importNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  try {
    return await import("node-llama-cpp");
  } catch (error) {
    throw new NodeLlamaCppMissingError(error);
  }
}

export interface LoadedModel {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  /** One sequence per slot, in slot order. */
  sequences: LlamaContextSequence[];
  /** Gathers every decoding sequence's next token into one batch (see `BatchGate`). */
  gate: BatchGate;
  dispose(): Promise<void>;
}

/**
 * Loads `modelPath` on the CPU with one context of `parallel` sequences of `contextSize` tokens each
 * (node-llama-cpp batches the sequences' pending tokens into one `llama_decode` per step).
 */
export async function loadModel(options: {
  modelPath: string;
  parallel: number;
  contextSize: number;
  threads: number;
  /** Most ms a batch waits for every decoding sequence's token (0: dispatch at once). @default 2 */
  batchWaitMs?: number;
}): Promise<LoadedModel> {
  const { getLlama, LlamaLogLevel } = await importNodeLlamaCpp();
  // Prebuilt CPU binaries only: never build from source or download anything.
  const llama = await getLlama({
    gpu: false,
    build: "never",
    skipDownload: true,
    maxThreads: options.threads,
    logLevel: LlamaLogLevel.error,
  });
  const model = await llama.loadModel({ modelPath: options.modelPath, gpuLayers: 0 });
  let context: LlamaContext | undefined;
  // node-llama-cpp's internal set of sequences with queued tokens (3.21.1); without it the gate never waits.
  const queued = () =>
    (context as unknown as { _queuedDecodeSequenceIds?: Set<number> } | undefined)?._queuedDecodeSequenceIds
      ?.size ?? Number.POSITIVE_INFINITY;
  const gate = new BatchGate(queued, options.batchWaitMs ?? 2);
  context = await model.createContext({
    contextSize: options.contextSize,
    sequences: options.parallel,
    threads: options.threads,
    batching: { dispatchSchedule: gate.schedule },
    batchSize: Math.min(ENGINE_BATCH_TOKENS, options.contextSize * options.parallel),
  });
  const created = context;
  const sequences = Array.from({ length: options.parallel }, () => created.getSequence());
  return {
    llama,
    model,
    context,
    sequences,
    gate,
    async dispose() {
      await created.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}
