/**
 * Loading llama.cpp through the optional peer dependency node-llama-cpp, imported dynamically so that the
 * rest of the library (and its users) never load it.
 *
 * Threads: llama.cpp's defaults use every core for each decode; next to other work on a small machine they
 * oversubscribe and run ~400x slower. The engine runs with `threads` (1 by default) everywhere.
 */
import { NodeLlamaCppMissingError } from "./errors.js";

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
  const context = await model.createContext({
    contextSize: options.contextSize,
    sequences: options.parallel,
    threads: options.threads,
    batchSize: Math.min(512, options.contextSize * options.parallel),
  });
  const sequences = Array.from({ length: options.parallel }, () => context.getSequence());
  return {
    llama,
    model,
    context,
    sequences,
    async dispose() {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}
