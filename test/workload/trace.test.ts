import { describe, expect, it } from "vitest";
import { loadWorkload, WorkloadValidationError } from "../../src/workload/index.js";

const trace = {
  format: "augserve-trace/v1",
  name: "hand",
  slo: { ttftMs: 1000, normLatencyMsPerToken: 100 },
  runs: [
    {
      id: "a",
      arrivalS: 1.5,
      class: "qa",
      segments: [
        { promptTokens: 100, outputTokens: 20, toolLatencyMs: 700, toolResultTokens: 30 },
        { promptTokens: 150, outputTokens: 10, toolLatencyMs: 500, toolResultTokens: 5 },
        { promptTokens: 170, outputTokens: 40 },
      ],
    },
    { id: "b", arrivalS: 0.5, segments: [{ promptTokens: 7, outputTokens: 12 }] },
  ],
};

describe("loadWorkload() - recorded traces", () => {
  it("maps segments to rounds, result tokens from the context growth", () => {
    const w = loadWorkload(trace);
    expect(w.runs.map((r) => r.arrivalMs)).toEqual([500, 1500]);
    const a = w.runs[1]!;
    expect(a.className).toBe("qa");
    expect(a.promptTokens).toBe(100);
    expect(a.script.rounds.map((r) => r.outputTokens)).toEqual([20, 10]);
    expect(a.script.rounds.map((r) => r.calls[0]!.latencyMs)).toEqual([700, 500]);
    // 150 - 100 - 20 = 30; 170 - 150 - 10 = 10 (the growth, not the recorded 5).
    expect(a.script.rounds.map((r) => r.calls[0]!.resultTokens)).toEqual([30, 10]);
    expect(a.script.finalOutputTokens).toBe(40);
    expect(a.tools).toHaveLength(1);
    expect(a.script.rounds[0]!.calls[0]!.arguments).toHaveProperty("input");
    // A run without tools answers at once.
    expect(w.runs[0]!.script.rounds).toHaveLength(0);
    expect(new Set(w.runs.map((r) => r.userPrompt)).size).toBe(2);
  });

  it("with an arrival process, draws runs with replacement at its times", () => {
    const w = loadWorkload("workloads/infercept-trace.json", { ratePerS: 3 });
    expect(Math.abs(w.runs.length - 900)).toBeLessThan(4 * 30);
    expect(new Set(w.runs.map((r) => r.userPrompt)).size).toBe(w.runs.length);
    expect(new Set(w.runs.map((r) => r.className)).size).toBe(6);
    expect(loadWorkload("workloads/infercept-trace.json", { ratePerS: 3 })).toEqual(w);
  });

  it("rejects a trace whose tool segments lack latencies or arrival times", () => {
    const bad = structuredClone(trace) as typeof trace;
    delete (bad.runs[0]!.segments[0] as { toolLatencyMs?: number }).toolLatencyMs;
    delete (bad.runs[1] as { arrivalS?: number }).arrivalS;
    try {
      loadWorkload(bad);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(WorkloadValidationError);
      expect((error as WorkloadValidationError).issues.map((i) => i.path)).toEqual([
        "$.runs[0].segments[0].toolLatencyMs",
        "$.runs[1].arrivalS",
      ]);
    }
  });
});
