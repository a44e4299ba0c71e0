/**
 * What the server commands (`sim`, `engine`, `gateway`) share: their listen flags, the workload flags of the
 * scripted servers, and the life of a server in the foreground (start, print where it listens, stop on a signal).
 */
import { Option } from "commander";
import type { ConversationScript } from "../script/types.js";
import { scriptsFromRuns } from "../sim/run-scripts.js";
import { loadWorkload } from "../workload/index.js";

/** `-p, --port`: the TCP port a server listens on; each command has its own default. */
export function portOption(defaultPort: string): Option {
  return new Option("-p, --port <port>", "TCP port (0 = any free port)").default(defaultPort);
}

/** `--host`: the interface a server listens on (loopback unless told otherwise). */
export function hostOption(): Option {
  return new Option("--host <host>", "interface to listen on").default("127.0.0.1");
}

/** `--workload`: a workload file whose runs' hidden scripts a scripted server follows. */
export function workloadOption(description: string): Option {
  return new Option("--workload <file>", description);
}

/** `--workload-seed`: the seed the workload's runs are generated with. */
export function workloadSeedOption(): Option {
  return new Option("--workload-seed <n>", "seed of the workload's generator (default: the file's own)");
}

/** The `--workload` and `--workload-seed` flags as commander gives them. */
export interface WorkloadFlags {
  workload?: string;
  workloadSeed?: string;
}

/** Loads a workload file's runs as conversation scripts. */
export type WorkloadScriptsLoader = (file: string, seed: number | undefined) => Promise<ConversationScript[]>;

/** The generated runs of a workload file (synthetic or trace), as the scripts a scripted server follows. */
export async function scriptsOfWorkloadFile(
  file: string,
  seed: number | undefined,
): Promise<ConversationScript[]> {
  const workload = loadWorkload(file, seed === undefined ? {} : { seed });
  return scriptsFromRuns(workload.runs);
}

/** The scripts the flags name: none without `--workload`. */
export async function scriptsOfFlags(
  flags: WorkloadFlags,
  load: WorkloadScriptsLoader = scriptsOfWorkloadFile,
): Promise<ConversationScript[]> {
  if (flags.workload === undefined) return [];
  return load(flags.workload, flags.workloadSeed === undefined ? undefined : Number(flags.workloadSeed));
}

/** A started server and the lines that say what it is and where it listens. */
export interface Started {
  readonly server: { close(): Promise<void> };
  readonly banner: string;
}

/**
 * Runs `augserve <name>`'s server in the foreground: starts it, prints its banner, and on SIGINT or SIGTERM
 * closes it and exits 0. A start that fails with an `Error` (bad options, an unknown profile, a missing model
 * or dependency, a busy port) is the user's to fix: said on standard error without a stack trace, exit code 1.
 */
export async function serveInForeground(name: string, start: () => Promise<Started>): Promise<void> {
  try {
    const { server, banner } = await start();
    process.stdout.write(banner);
    const stop = () => {
      void server.close().then(() => process.exit(0));
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    process.stderr.write(`augserve ${name}: ${error.message}\n`);
    process.exitCode = 1;
  }
}
