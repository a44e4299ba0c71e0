import { describe, expect, it } from "vitest";
import { ClassOraclePredictor } from "../../src/bench/predict-bench/class-oracle.js";
import { evaluatePredictor, splitRuns, trueRemaining } from "../../src/bench/predict-bench/evaluate.js";
import { ranks, spearman } from "../../src/bench/predict-bench/stats.js";
import { MeanBaselinePredictor, PREFILL_WEIGHT, remainingCost } from "../../src/predict/index.js";
import type { GeneratedRun } from "../../src/workload/types.js";

const run = (id: number, rounds: number): GeneratedRun => ({
  id: `r${id}`,
  arrivalMs: id * 100,
  className: "c",
  systemPrompt: "sys",
  userPrompt: `Search for these ${rounds} cities, request ${id}`,
  tools: [{ name: "search", description: "Search the web" }],
  promptTokens: 100,
  script: {
    rounds: Array.from({ length: rounds }, () => ({
      outputTokens: 10,
      calls: [{ tool: "search", arguments: {}, latencyMs: 50, resultTokens: 20 }],
    })),
    finalOutputTokens: 30,
  },
});

describe("spearman() / ranks()", () => {
  it("averages tied ranks and is 1 for any monotone relation, 0 for a constant", () => {
    expect(ranks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
    expect(spearman([1, 2, 3, 4], [1, 8, 27, 64])).toBeCloseTo(1);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1);
    expect(spearman([1, 2, 3], [5, 5, 5])).toBe(0);
  });
});

describe("remainingCost() / trueRemaining()", () => {
  it("charges every remaining call's output and whole-context prefill", () => {
    // 1 round left from a 100-token context: call 1 = 10 + 0.1*100; final = 30 + 0.1*(100+10+20).
    const expected = 10 + PREFILL_WEIGHT * 100 + 30 + PREFILL_WEIGHT * 130;
    expect(
      remainingCost(
        { rounds: 1, outputTokensPerCall: 10, finalOutputTokens: 30, resultTokensPerRound: 20 },
        100,
      ),
    ).toBeCloseTo(expected);
    expect(trueRemaining(run(0, 1), 0).cost).toBeCloseTo(expected);
    expect(trueRemaining(run(0, 1), 1)).toEqual({ cost: 30 + PREFILL_WEIGHT * 130, context: 130 });
  });
});

describe("evaluatePredictor()", () => {
  const runs = Array.from({ length: 40 }, (_, i) => run(i, 1 + (i % 5)));
  const { train, test } = splitRuns(runs, 0.5);

  it("gives the oracle zero error and perfect rank correlation", () => {
    const oracle = evaluatePredictor(null, train, test);
    expect(oracle.maeTotalRounds).toBe(0);
    expect(oracle.spearmanCost).toBeCloseTo(1);
    expect(oracle.points).toBe(test.reduce((sum, r) => sum + r.script.rounds.length + 1, 0));
  });

  it("scores the constant baseline worse than the oracle", () => {
    const baseline = evaluatePredictor(new MeanBaselinePredictor(), train, test);
    expect(baseline.maeTotalRounds).toBeGreaterThan(0.5);
  });

  it("ClassOraclePredictor: knows each class's distribution, not the run; between the baseline and the oracle", () => {
    // Two classes: short runs (1-2 rounds) and long ones (5-6), told apart by class only.
    const mixed = Array.from({ length: 60 }, (_, i) => ({
      ...run(i, i % 2 === 0 ? 1 + (i % 4 === 0 ? 1 : 0) : 5 + (i % 4 === 1 ? 1 : 0)),
      className: i % 2 === 0 ? "short" : "long",
    }));
    const split = splitRuns(mixed, 0.5);
    const classOracle = evaluatePredictor(new ClassOraclePredictor(mixed), split.train, split.test);
    const baseline = evaluatePredictor(new MeanBaselinePredictor(), split.train, split.test);
    expect(classOracle.maeTotalRounds).toBeCloseTo(0.5, 1);
    expect(classOracle.spearmanCost).toBeGreaterThan(baseline.spearmanCost);
    expect(classOracle.spearmanCost).toBeLessThan(1);
  });
});
