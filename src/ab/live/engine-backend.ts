/**
 * `--backend engine`: the live A/B against the real llama.cpp engine (`src/engine/`, node-llama-cpp, CPU),
 * started in this process on a free loopback port, a fresh one per point, following the workload's scripts as
 * the simulator does. The model is a GGUF given with `--engine-model` or, without one, a random-weight
 * llama of the `small` shape written once by `makeModel` (`augserve make-model`) into the OS temp folder.
 *
 * The engine is real, so time cannot be scaled (time scale 1); instead the workload is **scaled to the
 * engine's speed** by `timeFactor`: arrivals and tool latencies are multiplied by it (`compressWorkloadTime`),
 * while the tokens each call prefills and decodes are the workload's. The engine's own latencies are measured
 * as they are, against the workload's SLO.
 */
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GeneratedWorkload } from "../../workload/types.js";
import type { ResolvedLiveScalarOptions } from "./options.js";
import { type LiveBackend, openRemote } from "./remote-backend.js";

/** The shape of the model written when no `--engine-model` is given (~300-700 tok/s on one core). */
export const DEFAULT_ENGINE_MODEL_SIZE = "small";

/**
 * The workload with arrivals, the arrival window and tool latencies multiplied by `factor` (0 < factor <= 1):
 * the same runs, calls and tokens, played `1 / factor` times faster everywhere but on the server. Pure.
 * @example compressWorkloadTime(workload, 0.1) // 300 s of arrivals -> 30 s, a 40-s tool call -> 4 s
 */
export function compressWorkloadTime(workload: GeneratedWorkload, factor: number): GeneratedWorkload {
  if (!(factor > 0 && factor <= 1)) throw new RangeError(`Expected 0 < timeFactor <= 1, got ${factor}`);
  if (factor === 1) return workload;
  return {
    ...workload,
    durationMs: workload.durationMs * factor,
    runs: workload.runs.map((run) => ({
      ...run,
      arrivalMs: run.arrivalMs * factor,
      script: {
        ...run.script,
        rounds: run.script.rounds.map((round) => ({
          ...round,
          calls: round.calls.map((call) => ({ ...call, latencyMs: call.latencyMs * factor })),
        })),
      },
    })),
  };
}

/** The GGUF to serve: `explicit` when given (it must exist), else the default model, written once. */
export async function ensureEngineModel(explicit: string | undefined): Promise<string> {
  if (explicit !== undefined) {
    if (!existsSync(explicit)) throw new Error(`--engine-model ${explicit} does not exist`);
    return explicit;
  }
  const path = join(tmpdir(), `augserve-engine-${DEFAULT_ENGINE_MODEL_SIZE}-seed0.gguf`);
  if (!existsSync(path)) {
    const { writeModelFile } = await import("../../engine/make-model.js");
    await writeModelFile(path, { size: DEFAULT_ENGINE_MODEL_SIZE, seed: 0 });
  }
  return path;
}

/** Starts the real engine with the workload's scripts; its /metrics gives the server side (llama.cpp's names). */
export async function openEngineBackend(
  workload: GeneratedWorkload,
  o: ResolvedLiveScalarOptions,
): Promise<LiveBackend> {
  // Imported here: node-llama-cpp is an optional peer dependency, loaded only for this backend.
  const [{ startEngineServer }, { scriptsFromRuns }] = await Promise.all([
    import("../../engine/server.js"),
    import("../../sim/run-scripts.js"),
  ]);
  const engine = await startEngineServer({
    modelPath: await ensureEngineModel(o.engineModel),
    parallel: o.engineParallel,
    contextSize: o.engineContextSize,
    threads: 1,
    port: 0,
    scripts: scriptsFromRuns(workload.runs),
  });
  const remote = openRemote({ ...o, backend: engine.baseURL, serverMetricsUrl: engine.metricsUrl });
  return {
    ...remote,
    model: "engine",
    close: async () => {
      await remote.close();
      await engine.close();
    },
  };
}
