/** The SLO deadlines the live bench stops at: a run past its own deadline can only miss its SLO. */
import { describe, expect, it } from "vitest";
import { HORIZON_SLACK, sloDeadlineMs } from "../../../src/ab/live/index.js";
import { meetsSlo, type RunRecord } from "../../../src/metrics/index.js";
import { loadWorkload } from "../../../src/workload/load.js";

describe("sloDeadlineMs()", () => {
  const workload = loadWorkload("workloads/infercept-mix.json", { ratePerS: 2 });

  it("a run that ends after its deadline misses the SLO, whatever its TTFT", () => {
    for (const run of workload.runs.slice(0, 50)) {
      const deadline = sloDeadlineMs(run, workload.slo);
      const toolMs = run.script.rounds.reduce((s, r) => s + r.calls.reduce((t, c) => t + c.latencyMs, 0), 0);
      const tokens = run.script.rounds.reduce((s, r) => s + r.outputTokens, run.script.finalOutputTokens);
      const record: RunRecord = {
        id: run.id,
        className: run.className,
        arrivalMs: run.arrivalMs,
        firstTokenMs: run.arrivalMs + 1,
        endMs: deadline + 1,
        // The most tool time the recorder could measure within the slack.
        toolTimeMs: toolMs * (1 + HORIZON_SLACK),
        outputTokens: tokens,
        calls: [],
      };
      expect(meetsSlo(record, workload.slo)).toBe(false);
    }
  });
});
