import { describe, expect, it } from "vitest";
import { sustainableRates } from "../../src/ab/results.js";
import { renderReport } from "../../src/ab/table.js";
import { runSweep } from "../../src/ab/virtual/index.js";
import { parseBenchResults } from "../../src/report/index.js";
import { ToyEngine } from "./toy-engine.js";

const workload = {
  name: "tiny",
  seed: 1,
  durationS: 30,
  arrival: { process: "poisson", ratePerS: 1 },
  slo: { ttftMs: 1000, normLatencyMsPerToken: 100 },
  tools: [{ name: "search", latencyMs: { dist: "const", value: 200 } }],
  classes: [
    {
      name: "qa",
      weight: 1,
      tools: ["search"],
      systemPrompt: "Answer with search.",
      prompts: [{ template: "Look up {n} things." }],
      toolRounds: { dist: "uniform", min: 0, max: 3 },
      promptTokens: { dist: "const", value: 200 },
      outputTokensPerCall: { dist: "const", value: 20 },
      finalOutputTokens: { dist: "const", value: 60 },
    },
  ],
};

describe("runSweep() - with a toy engine", () => {
  it("writes a report the HTML report accepts, with a row per (policy, rate)", () => {
    let total = 0;
    let ticked = 0;
    const report = runSweep({
      workload,
      policies: ["plain", "fcfs-window"],
      rates: [1, 4],
      window: 2,
      createEngine: () => new ToyEngine(4),
      onTotal: (n) => {
        total = n;
      },
      onProgress: (delta) => {
        ticked += delta;
      },
    });
    expect(report.results.map((r) => `${r.policy}@${r.ratePerS}`)).toEqual([
      "plain@1",
      "fcfs-window@1",
      "plain@4",
      "fcfs-window@4",
    ]);
    expect(ticked).toBe(total);
    const parsed = parseBenchResults(JSON.parse(JSON.stringify(report)));
    expect(parsed.results[0]!.unfinished).toBe(0);
    expect(parsed.results[0]!.ttftCdf!.at(-1)![1]).toBe(1);
    // Identical runs for every policy at a rate.
    expect(report.results[0]!.runs).toBe(report.results[1]!.runs);
    expect(sustainableRates(report.results).get("plain")).toBe(4);
    const text = renderReport(report.results);
    expect(text).toContain("rate 4/s");
    expect(text).toContain("sustainable rate");
  });
});
