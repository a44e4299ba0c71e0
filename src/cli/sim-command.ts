/**
 * `augserve sim`: the embedded GPU-server simulator as an OpenAI-compatible server (docs/simulator.md).
 */
import type { Command } from "commander";
import { SIM_PROFILES } from "../sim/engine/profiles.js";
import { startSimServer } from "../sim/server/server.js";
import {
  hostOption,
  portOption,
  scriptsOfFlags,
  serveInForeground,
  type WorkloadFlags,
  type WorkloadScriptsLoader,
  workloadOption,
  workloadSeedOption,
} from "./serve.js";

export interface SimCommandHooks {
  /** Loads a workload file's runs as conversation scripts. @default the workload generator of src/workload */
  loadWorkloadScripts?: WorkloadScriptsLoader;
}

interface SimCliOptions extends WorkloadFlags {
  port: string;
  host: string;
  profile: string;
  schedulingPolicy: string;
  timeScale: string;
  seed: string;
}

export function registerSimCommand(program: Command, hooks: SimCommandHooks = {}): void {
  program
    .command("sim")
    .description("run the simulated GPU inference server (OpenAI-compatible, vLLM-like metrics)")
    .addOption(portOption("8000"))
    .addOption(hostOption())
    .option(
      "--profile <name>",
      `model x GPU profile: ${Object.keys(SIM_PROFILES).join(", ")}`,
      "llama3-8b-h100",
    )
    .option("--scheduling-policy <policy>", "fcfs | priority", "fcfs")
    .option("--time-scale <x>", "run x times faster than the simulated GPU", "1")
    .option("--seed <n>", "seed of the generated text", "0")
    .addOption(workloadOption("follow the hidden scripts of a workload file's runs"))
    .addOption(workloadSeedOption())
    .action((options: SimCliOptions) =>
      serveInForeground("sim", async () => {
        const scripts = await scriptsOfFlags(options, hooks.loadWorkloadScripts);
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
        return {
          server: sim,
          banner:
            `augserve sim: ${p.profile.description}, ${p.schedulingPolicy}, time scale ${options.timeScale}, ` +
            `KV ${p.kvCapacityTokens} tokens, ${scripts.length} scripts\n` +
            `OpenAI base URL: ${sim.baseURL}\nmetrics: ${sim.metricsUrl}\n`,
        };
      }),
    );
}
