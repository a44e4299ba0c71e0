/**
 * `augserve engine --model FILE --parallel N --port P [--host H]`: the real CPU engine (llama.cpp through
 * node-llama-cpp) as an OpenAI-compatible server with llama.cpp server's metrics (docs/engine.md).
 */
import type { Command } from "commander";
import { startEngineServer } from "../engine/server.js";
import {
  hostOption,
  portOption,
  scriptsOfFlags,
  serveInForeground,
  type WorkloadFlags,
  workloadOption,
  workloadSeedOption,
} from "./serve.js";

interface EngineCliOptions extends WorkloadFlags {
  model: string;
  parallel: string;
  ctxSize: string;
  threads: string;
  port: string;
  host: string;
  seed: string;
}

export function registerEngineCommand(program: Command): void {
  program
    .command("engine")
    .description(
      "run the real CPU inference engine (llama.cpp via node-llama-cpp) as an OpenAI-compatible server",
    )
    .requiredOption("-m, --model <file>", "GGUF model file (e.g. from `augserve make-model`)")
    .option("--parallel <n>", "sequences decoded together; more requests queue (FIFO)", "4")
    .option("--ctx-size <n>", "KV cells per sequence (prompt + output of one request)", "4096")
    .option("--threads <n>", "llama.cpp CPU threads (1 on a small shared machine)", "1")
    .addOption(portOption("8080"))
    .addOption(hostOption())
    .option("--seed <n>", "seed of the scripted text", "0")
    .addOption(workloadOption("follow the hidden scripts of a workload file's runs (as `augserve sim` does)"))
    .addOption(workloadSeedOption())
    .action((options: EngineCliOptions) =>
      serveInForeground("engine", async () => {
        const scripts = await scriptsOfFlags(options);
        const engine = await startEngineServer({
          modelPath: options.model,
          parallel: Number(options.parallel),
          contextSize: Number(options.ctxSize),
          threads: Number(options.threads),
          port: Number(options.port),
          host: options.host,
          seed: Number(options.seed),
          scripts,
        });
        return {
          server: engine,
          banner:
            `augserve engine: ${options.model}, ${options.parallel} parallel sequences of ${options.ctxSize} tokens, ` +
            `${options.threads} thread(s), ${scripts.length} scripts\nOpenAI base URL: ${engine.baseURL}\nmetrics: ${engine.metricsUrl}\n`,
        };
      }),
    );
}
