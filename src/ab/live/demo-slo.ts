/**
 * Which SLO the demo holds the runs to. The workload's own, when a lone request of a typical run meets it on the
 * simulated hardware; otherwise one derived from the profile as serving papers do (DistServe's "SLO scale"): a
 * stated multiple of a lone request's TTFT and per-token latency. Never from any policy's results.
 */
import { decodeStepMs, singleRequestTtftMs } from "../../sim/fidelity.js";
import type { GeneratedWorkload } from "../../workload/types.js";

/** Multiples of a lone request's latencies used when the workload's SLO is out of the hardware's reach. */
export const DERIVED_SLO_SCALE = { ttft: 5, perToken: 2 } as const;

export interface DemoSlo {
  slo: { ttftMs: number; normLatencyMsPerToken: number };
  source: "workload" | "derived";
  /** A lone request of the median run on the profile: TTFT and decode step (ms per output token). */
  lone: { promptTokens: number; ttftMs: number; perTokenMs: number };
  /** The line the demo prints about it. */
  explanation: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** The demo's SLO for `workload` on `profile` (see the module doc). */
export function demoSlo(workload: GeneratedWorkload, profile: string): DemoSlo {
  const promptTokens = Math.max(1, Math.round(median(workload.runs.map((r) => r.promptTokens))));
  const ttftMs = singleRequestTtftMs({ profile }, promptTokens);
  const perTokenMs = decodeStepMs({ profile }, 1, promptTokens, 32);
  const lone = { promptTokens, ttftMs, perTokenMs };
  const own = workload.slo;
  const f = (v: number) => v.toFixed(0);
  if (own.ttftMs >= ttftMs && own.normLatencyMsPerToken >= perTokenMs) {
    return {
      slo: { ...own },
      source: "workload",
      lone,
      explanation:
        `SLO: the workload's (TTFT <= ${f(own.ttftMs)} ms, <= ${f(own.normLatencyMsPerToken)} ms/token); a lone ` +
        `request of the median run (${promptTokens} prompt tokens) meets it on ${profile}: TTFT ${f(ttftMs)} ms, ` +
        `${f(perTokenMs)} ms/token.`,
    };
  }
  const slo = {
    ttftMs: Math.ceil(DERIVED_SLO_SCALE.ttft * ttftMs),
    normLatencyMsPerToken: Math.ceil(DERIVED_SLO_SCALE.perToken * perTokenMs),
  };
  return {
    slo,
    source: "derived",
    lone,
    explanation:
      `SLO: derived from the profile, not the workload's (TTFT <= ${f(own.ttftMs)} ms, <= ` +
      `${f(own.normLatencyMsPerToken)} ms/token), which a lone request cannot meet on ${profile} (TTFT ` +
      `${f(ttftMs)} ms, ${f(perTokenMs)} ms/token for the median run's ${promptTokens} prompt tokens): ` +
      `${DERIVED_SLO_SCALE.ttft}x its TTFT and ${DERIVED_SLO_SCALE.perToken}x its per-token latency, i.e. ` +
      `TTFT <= ${slo.ttftMs} ms and <= ${slo.normLatencyMsPerToken} ms/token.`,
  };
}
