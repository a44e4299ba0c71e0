/**
 * SLO deadlines of a workload's runs. A run meets its SLO only if NormLatency = (E2E - tool time) / output
 * tokens <= `slo.normLatencyMsPerToken`, so run i can no longer meet it once `arrival_i + tool time_i + slo x
 * tokens_i` has passed. A live bench that stops once every run still open is past its own deadline changes no
 * run's SLO outcome (those runs are misses either way) and no load any run saw before (none is cut earlier),
 * and spares the wait for a backlog that can only miss. The live recorder measures tool time as the gap
 * between a call's end and the next call's start, which includes the client's own lag: tool latencies are
 * summed (not the slowest of a round) and the bound gets `HORIZON_SLACK` on top, so that lag cannot make a
 * cut run one that met it. The live driver also counts as decided a run whose first token came (or has not come)
 * later than arrival + `slo.ttftMs`: a miss whatever happens next.
 */

import type { GeneratedWorkload } from "../../workload/types.js";

/** Relative slack on each run's bound (client lag inside measured tool time). */
export const HORIZON_SLACK = 0.1;

/**
 * The latest time (workload ms from the window's start) at which `run` could still meet `slo`: its arrival
 * plus its tool latencies and `slo.normLatencyMsPerToken` x its output tokens, with {@link HORIZON_SLACK}.
 */
export function sloDeadlineMs(run: GeneratedWorkload["runs"][number], slo: GeneratedWorkload["slo"]): number {
  let toolMs = 0;
  let tokens = run.script.finalOutputTokens;
  for (const round of run.script.rounds) {
    for (const call of round.calls) toolMs += call.latencyMs;
    tokens += round.outputTokens;
  }
  return run.arrivalMs + (1 + HORIZON_SLACK) * (toolMs + slo.normLatencyMsPerToken * tokens);
}
