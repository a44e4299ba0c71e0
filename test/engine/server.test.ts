import { startEngineServer } from "../../src/engine/server.js";
import { runOpenAIServerContract } from "../contract/openai-server.contract.js";
import { tinyModel } from "./helpers.js";

// The real engine (llama.cpp through node-llama-cpp, 1 thread) on a generated tiny model.
runOpenAIServerContract("real engine (node-llama-cpp)", async () => {
  const model = await tinyModel();
  const server = await startEngineServer({ modelPath: model.path, parallel: 4, contextSize: 2048 });
  return {
    baseURL: server.baseURL,
    metricsUrl: server.metricsUrl,
    registerScripts: (scripts) => server.registerScripts(scripts),
    metricNames: { running: "llamacpp:requests_processing", kvUsage: "llamacpp:kv_cache_usage_ratio" },
    async close() {
      await server.close();
      await model.dispose();
    },
  };
});
