/**
 * `augserve sim`: the embedded GPU-server simulator as an OpenAI-compatible server (docs/simulator.md).
 */
import type { Command } from "commander";
import type { ConversationScript } from "../script/types.js";
import { SIM_PROFILES } from "../sim/engine/profiles.js";
import { scriptsFromRuns } from "../sim/run-scripts.js";
import { startSimServer } from "../sim/server/server.js";
import { loadWorkload } from "../workload/index.js";

export interface SimCommandHooks {
  /** Loads a workload file's runs as conversation scripts. @default the workload generator of src/workload */
  loadWorkloadScripts?: (file: string, seed: number | undefined) => Promise<ConversationScript[]>;
}

/** The generated runs of a workload file (synthetic or trace), as the scripts the simulated model follows. */
async function scriptsOfWorkloadFile(file: string, seed: number | undefined): Promise<ConversationScript[]> {
  const workload = loadWorkload(file, seed === undefined ? {} : { seed });
  return scriptsFromRuns(workload.runs);
}

interface SimCliOptions {
  port: string;
  host: string;
  profile: string;
  schedulingPolicy: string;
  timeScale: string;
  seed: string;
  workload?: string;
  workloadSeed?: string;
}

export function registerSimCommand(program: Command, hooks: SimCommandHooks = {}): void {
  program
    .command("sim")
    .description("run the simulated GPU inference server (OpenAI-compatible, vLLM-like metrics)")
    .option("-p, --port <port>", "TCP port (0 = any free port)", "8000")
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option(
      "--profile <name>",
      `model x GPU profile: ${Object.keys(SIM_PROFILES).join(", ")}`,
      "llama3-8b-h100",
    )
    .option("--scheduling-policy <policy>", "fcfs | priority", "fcfs")
    .option("--time-scale <x>", "run x times faster than the simulated GPU", "1")
    .option("--seed <n>", "seed of the generated text", "0")
    .option("--workload <file>", "follow the hidden scripts of a workload file's runs")
    .option("--workload-seed <n>", "seed of the workload's generator (default: the file's own)")
    .action(async (options: SimCliOptions) => {
      try {
        let scripts: ConversationScript[] = [];
        if (options.workload !== undefined) {
          const load = hooks.loadWorkloadScripts ?? scriptsOfWorkloadFile;
          scripts = await load(
            options.workload,
            options.workloadSeed === undefined ? undefined : Number(options.workloadSeed),
          );
        }
        const sim = await startSimServer({
          port: Number(options.port),
          host: options.host,
          profile: options.profile,
          schedulingPolicy: options.schedulingPolicy as "fcfs",
          timeScale: Number(options.timeScale),
          seed: Number(options.seed),
          scripts,
        });
        const p = sim.engine.options;
        process.stdout.write(
          `augserve sim: ${p.profile.description}, ${p.schedulingPolicy}, time scale ${options.timeScale}, ` +
            `KV ${p.kvCapacityTokens} tokens, ${scripts.length} scripts\n` +
            `OpenAI base URL: ${sim.baseURL}\nmetrics: ${sim.metricsUrl}\n`,
        );
        const stop = () => {
          void sim.close().then(() => process.exit(0));
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      } catch (error) {
        // Bad options, an unknown profile, a busy port: the user's to fix, said without a stack trace.
        if (!(error instanceof Error)) throw error;
        process.stderr.write(`augserve sim: ${error.message}\n`);
        process.exitCode = 1;
      }
    });
}
