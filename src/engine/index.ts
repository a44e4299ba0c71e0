/**
 * The real inference engine on CPU (docs/engine.md): llama.cpp through the optional peer dependency
 * node-llama-cpp, a random-weight GGUF generator for systems testing, and an OpenAI-compatible server with the
 * simulator's HTTP surface and llama.cpp server's metrics.
 */
export {
  type GenerationRequest,
  type GenerationResult,
  LlamaEngine,
  type LlamaEngineStats,
} from "./engine.js";
export * from "./errors.js";
export { ENGINE_BATCH_TOKENS, type LoadedModel, loadModel } from "./llama.js";
export {
  type MakeModelOptions,
  MakeModelOptionsSchema,
  MODEL_SIZES,
  type ModelSize,
  makeModel,
  parameterCount,
  writeModelFile,
} from "./make-model.js";
export {
  type EngineServer,
  type EngineServerOptions,
  EngineServerOptionsSchema,
  startEngineServer,
} from "./server.js";
