/**
 * `npm run bench:sim [-- --json] [-- --fidelity]`: the simulator's speed (docs/simulator.md, "Benchmark").
 * - Engine speed in virtual time (targets: >= 2,000,000 simulated tokens per CPU second at >= 64 running).
 * - HTTP capacity: >= 1,000 concurrent streams held against a server in a child process.
 * `--fidelity` also prints the fidelity table of the profiles against the published figures.
 */
import { fidelityTable } from "../sim/fidelity.js";
import { measureEngineSpeed } from "./sim-bench/engine-speed.js";
import { measureHttpCapacity } from "./sim-bench/http-capacity.js";

const args = new Set(process.argv.slice(2));
const json = args.has("--json");
const log = (line: string) => {
  if (!json) process.stdout.write(`${line}\n`);
};

if (args.has("--fidelity") && !json) {
  log("| profile | metric | setup | published | simulated | error | source |");
  log("|---|---|---|---:|---:|---:|---|");
  for (const r of fidelityTable()) {
    const unit = r.metric === "throughput" ? "tok/s" : "ms";
    const digits = r.metric === "throughput" ? 0 : 1;
    log(
      `| ${r.profile} | ${r.metric}${r.informational ? " (info)" : ""} | ${r.setup} | ${r.published.toFixed(digits)} ${unit} | ` +
        `${r.simulated.toFixed(digits)} ${unit} | ${(r.error * 100).toFixed(1)}% | ${r.source} |`,
    );
  }
  log("");
}

log("engine: virtual time, llama3-8b-h100, Poisson 28 req/s for 300 simulated s ...");
const engine = measureEngineSpeed();
log(
  `  ${(engine.engineTokensPerCpuSecond / 1e6).toFixed(2)} M simulated tokens per CPU second ` +
    `(${engine.prefillTokens} prefilled + ${engine.generatedTokens} generated in ${engine.cpuSeconds.toFixed(2)} CPU s), ` +
    `${engine.cpuSecondsPerSimulatedMinute.toFixed(3)} CPU s per simulated minute, mean running ${engine.meanRunning.toFixed(0)}`,
);
log("http: 1,200 concurrent streams of 200 tokens, server in a child process, time scale 2 ...");
const http = await measureHttpCapacity();
log(
  `  ${http.httpStreamsHeld} streams held at once, ${http.completed} completed, ${http.failed} failed, ` +
    `${Math.round(http.httpChunksPerSecond)} chunks/s over ${http.wallSeconds.toFixed(1)} s`,
);

const result = {
  engineTokensPerCpuSecond: Math.round(engine.engineTokensPerCpuSecond),
  cpuSecondsPerSimulatedMinute: Number(engine.cpuSecondsPerSimulatedMinute.toFixed(4)),
  httpStreamsHeld: http.httpStreamsHeld,
  httpChunksPerSecond: Math.round(http.httpChunksPerSecond),
};
if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  const ok = result.engineTokensPerCpuSecond >= 2_000_000 && result.httpStreamsHeld >= 1000;
  log(`targets (>= 2,000,000 tokens/CPU s, >= 1,000 streams held): ${ok ? "met" : "NOT met"}`);
}
