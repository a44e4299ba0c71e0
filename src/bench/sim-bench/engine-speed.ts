/**
 * Virtual-time engine speed: Poisson arrivals into the engine, driven as the virtual-time benchmark drives it
 * (fused decode steps up to the next arrival), CPU time measured with process.cpuUsage().
 */
import { Engine } from "../../sim/engine/engine.js";
import { mulberry32 } from "../../util/prng.js";

export interface EngineSpeed {
  /** Prompt tokens prefilled + tokens generated, per CPU second. */
  engineTokensPerCpuSecond: number;
  cpuSecondsPerSimulatedMinute: number;
  simulatedSeconds: number;
  cpuSeconds: number;
  generatedTokens: number;
  prefillTokens: number;
  /** Time-weighted mean of running sequences. */
  meanRunning: number;
  requests: number;
}

/**
 * @param simulatedSeconds virtual seconds of arrivals
 * @param ratePerS arrivals per simulated second (28/s keeps ~100 sequences running on llama3-8b-h100)
 */
export function measureEngineSpeed(simulatedSeconds = 300, ratePerS = 28, seed = 1): EngineSpeed {
  const random = mulberry32(seed);
  const engine = new Engine({ profile: "llama3-8b-h100" });
  // A shared system prompt (prefix-cache hits, as agents have) plus a unique part.
  const system = Array.from({ length: 256 }, (_, i) => (i * 7919) % 128_000);
  const horizonMs = simulatedSeconds * 1000;
  let nextArrival = 0;
  let now = 0;
  let requests = 0;
  let runningArea = 0;
  const cpu0 = process.cpuUsage();
  while (nextArrival < horizonMs || engine.hasWork) {
    while (nextArrival <= now && nextArrival < horizonMs) {
      const unique = 64 + Math.floor(random() * 512);
      const prompt = new Int32Array(system.length + unique);
      prompt.set(system);
      for (let i = system.length; i < prompt.length; i++) prompt[i] = Math.floor(random() * 128_000);
      engine.add({ id: `r${requests++}`, promptTokens: prompt, maxTokens: 32 + Math.floor(random() * 448) });
      nextArrival += (-Math.log(1 - random()) / ratePerS) * 1000;
    }
    const until = nextArrival < horizonMs ? nextArrival - now : Number.POSITIVE_INFINITY;
    const out = engine.step({ maxSteps: 4096, maxDurationMs: until });
    if (out === null) {
      now = nextArrival;
      continue;
    }
    runningArea += out.batchSize * out.durationMs;
    now += out.durationMs;
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const s = engine.stats();
  return {
    engineTokensPerCpuSecond: (s.generatedTokensTotal + s.prefillTokensTotal) / cpuSeconds,
    cpuSecondsPerSimulatedMinute: cpuSeconds / (now / 60_000),
    simulatedSeconds: now / 1000,
    cpuSeconds,
    generatedTokens: s.generatedTokensTotal,
    prefillTokens: s.prefillTokensTotal,
    meanRunning: runningArea / now,
    requests,
  };
}
