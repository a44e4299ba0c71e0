/**
 * `augserve engine --model FILE --parallel N --port P [--host H]`: the real CPU engine (llama.cpp through
 * node-llama-cpp) as an OpenAI-compatible server with llama.cpp server's metrics (docs/engine.md).
 */
import type { Command } from "commander";
import { startEngineServer } from "../engine/server.js";
import { scriptsFromRuns } from "../sim/run-scripts.js";
import { loadWorkload } from "../workload/index.js";

interface EngineCliOptions {
  model: string;
  parallel: string;
  ctxSize: string;
  threads: string;
  port: string;
  host: string;
  seed: string;
  workload?: string;
  workloadSeed?: string;
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
    .option("-p, --port <port>", "TCP port (0 = any free port)", "8080")
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--seed <n>", "seed of the scripted text", "0")
    .option(
      "--workload <file>",
      "follow the hidden scripts of a workload file's runs (as `augserve sim` does)",
    )
    .option("--workload-seed <n>", "seed of the workload's generator (default: the file's own)")
    .action(async (options: EngineCliOptions) => {
      try {
        const seed = options.workloadSeed === undefined ? {} : { seed: Number(options.workloadSeed) };
        const scripts =
          options.workload === undefined ? [] : scriptsFromRuns(loadWorkload(options.workload, seed).runs);
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
        process.stdout.write(
          `augserve engine: ${options.model}, ${options.parallel} parallel sequences of ${options.ctxSize} tokens, ` +
            `${options.threads} thread(s), ${scripts.length} scripts\nOpenAI base URL: ${engine.baseURL}\nmetrics: ${engine.metricsUrl}\n`,
        );
        const stop = () => {
          void engine.close().then(() => process.exit(0));
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      } catch (error) {
        // A missing dependency or model file, bad options, a busy port: said without a stack trace.
        if (!(error instanceof Error)) throw error;
        process.stderr.write(`augserve engine: ${error.message}\n`);
        process.exitCode = 1;
      }
    });
}
