import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPredictor,
  loadOrCold,
  loadPredictor,
  MeanBaselinePredictor,
  OnlinePredictor,
  type PredictionContext,
  PredictorOptionsError,
  PredictorStateError,
  type RunPrediction,
  savePredictor,
  type ToolSchema,
  toRunEstimate,
} from "../../src/predict/index.js";

const search: ToolSchema = { name: "web_search", description: "Search the web for a query" };
const tools = [search];
const ctx = (userPrompt: string, toolRoundsDone = 0): PredictionContext => ({
  systemPrompt: "You are a research assistant.",
  userPrompt,
  tools,
  toolRoundsDone,
});
const observe = (toolRounds: number) => ({
  toolRounds,
  toolCallsPerRound: 1,
  outputTokensPerCall: Array.from({ length: toolRounds }, () => 40),
  finalOutputTokens: 200,
});

function expectSane(p: RunPrediction) {
  for (const value of Object.values(p)) {
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeGreaterThanOrEqual(0);
  }
}

describe("createPredictor() - Validation", () => {
  it("rejects bad options with a named error that lists the problem", () => {
    expect(() => createPredictor({ hashBits: 40 })).toThrow(PredictorOptionsError);
    try {
      createPredictor({ latencyAlpha: 0 } as never);
    } catch (error) {
      expect((error as PredictorOptionsError).issues[0]).toMatch(/^latencyAlpha:/);
      expect((error as Error).cause).toBeDefined();
    }
    expect(() => createPredictor({ bogus: 1 } as never)).toThrow(PredictorOptionsError);
  });
});

describe("OnlinePredictor.predict() - Basic functionality", () => {
  it("starts useful with no history: counts in the prompt, no tools -> 0 rounds", () => {
    const p = createPredictor();
    expect(p.predict(ctx("Search for these 4 companies one by one")).remainingToolRounds).toBeCloseTo(4, 0);
    const noTools = p.predict({ ...ctx("Search for these 4 companies"), tools: [] });
    expect(noTools.remainingToolRounds).toBe(0);
  });

  it("learns an agent whose prompts reveal nothing: it converges to the agent's mean", () => {
    const p = createPredictor();
    for (let i = 0; i < 60; i++) p.learnRun(ctx(`Tell me about topic ${i}`), observe(5));
    expect(p.predict(ctx("Tell me about something else")).remainingToolRounds).toBeCloseTo(5, 0);
  });

  it("learns which prompt words mean long runs (hashed feature model)", () => {
    const p = createPredictor();
    for (let i = 0; i < 300; i++) {
      p.learnRun(ctx(`Give a quick answer about item ${i}`), observe(1));
      p.learnRun(ctx(`Write a thorough report about item ${i}`), observe(6));
    }
    const quick = p.predict(ctx("Give a quick answer about item x")).remainingToolRounds;
    const thorough = p.predict(ctx("Write a thorough report about item x")).remainingToolRounds;
    expect(quick).toBeLessThan(2);
    expect(thorough).toBeGreaterThan(5);
  });

  it("leans on the cold estimate while an agent has few runs, and keeps trusting a prompt that states its count", () => {
    const p = createPredictor();
    const stated = (n: number) => ctx(`Search for these ${n} companies one by one`);
    expect(p.estimateRounds(stated(3)).weights.cold).toBeGreaterThan(0.5);
    for (let i = 0; i < 100; i++) p.learnRun(stated(1 + (i % 7)), observe(1 + (i % 7)));
    expect(p.predict(stated(2)).remainingToolRounds).toBeCloseTo(2, 0);
    // Within a round of 7: the prior's P(tool) (0.9 for an open tool such as web search) scales the count.
    expect(Math.abs(p.predict(stated(7)).remainingToolRounds - 7)).toBeLessThan(1);
  });

  it("conditions remaining rounds on rounds done", () => {
    const p = createPredictor();
    for (let i = 0; i < 300; i++) p.learnRun(ctx(`Tell me about topic ${i}`), observe(1 + (i % 6)));
    const remaining = (k: number) => p.predict(ctx("Tell me about topic x", k)).remainingToolRounds;
    expect(remaining(0)).toBeCloseTo(3.5, 0);
    expect(remaining(3)).toBeGreaterThan(1); // "mean - 3" would be 0.5; E[R - 3 | R >= 3] = 1.5
    expect(remaining(6)).toBeLessThan(0.5);
  });

  it("learns tool latencies and tokens", () => {
    const p = createPredictor();
    for (let i = 0; i < 50; i++) p.learnToolLatency("web_search", 300);
    for (let i = 0; i < 50; i++) p.learnRun(ctx(`q ${i}`), observe(2));
    const prediction = p.predict(ctx("q"));
    expect(prediction.toolLatencyMs).toBeCloseTo(300, 0);
    expect(prediction.outputTokensPerCall).toBeGreaterThan(30);
    expect(prediction.outputTokensPerCall).toBeLessThan(60);
    expect(prediction.finalOutputTokens).toBeGreaterThan(150);
  });
});

describe("toRunEstimate()", () => {
  it("maps a prediction to the scheduler's estimate and cleans bad numbers", () => {
    const estimate = toRunEstimate({
      remainingToolRounds: 2,
      toolCallsPerRound: 1,
      outputTokensPerCall: Number.NaN,
      finalOutputTokens: -3,
      toolLatencyMs: 100,
    });
    expect(estimate).toEqual({
      remainingToolRounds: 2,
      outputTokensPerCall: 0,
      finalOutputTokens: 0,
      toolLatencyMs: 100,
    });
  });
});

describe("savePredictor() / loadPredictor() / loadOrCold()", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "augserve-predict-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("round-trips everything learned", async () => {
    const p = createPredictor({ hashBits: 10 });
    for (let i = 0; i < 40; i++)
      p.learnRun(ctx(`Search for ${1 + (i % 3)} firms, item ${i}`), observe(1 + (i % 3)));
    p.learnToolLatency("web_search", 250);
    const path = join(dir, "state.json");
    await savePredictor(p, path);
    const loaded = await loadPredictor(path);
    expect(loaded.runsLearned).toBe(40);
    expect(loaded.options.hashBits).toBe(10);
    for (const prompt of ["Search for 2 firms", "anything", "Search for 3 firms"]) {
      for (const k of [0, 1, 2]) expect(loaded.predict(ctx(prompt, k))).toEqual(p.predict(ctx(prompt, k)));
    }
    expect(OnlinePredictor.fromJSON(JSON.parse(JSON.stringify(p))).predict(ctx("x"))).toEqual(
      p.predict(ctx("x")),
    );
  });

  it("names what is wrong with a corrupt, incompatible or invalid file", async () => {
    const write = async (name: string, text: string) => {
      const path = join(dir, name);
      await writeFile(path, text);
      return path;
    };
    const problem = async (path: string) => {
      try {
        await loadPredictor(path);
      } catch (error) {
        expect(error).toBeInstanceOf(PredictorStateError);
        return (error as PredictorStateError).problem;
      }
      return "loaded";
    };
    expect(await problem(join(dir, "absent.json"))).toBe("missing");
    expect(await problem(await write("truncated.json", '{"format":"augserve-pre'))).toBe("corrupt");
    expect(await problem(await write("other.json", '{"hello":1}'))).toBe("incompatible");
    const state = createPredictor().toJSON();
    expect(await problem(await write("v99.json", JSON.stringify({ ...state, version: 99 })))).toBe(
      "incompatible",
    );
    const bad = { ...state, models: { ...state.models, rounds: { ...state.models.rounds, size: 7 } } };
    expect(await problem(await write("invalid.json", JSON.stringify(bad)))).toBe("invalid");
  });

  it("loadOrCold() starts cold with a warning instead of crashing", async () => {
    const path = join(dir, "garbage.json");
    await writeFile(path, "\u0000\u0001 not json");
    const warnings: PredictorStateError[] = [];
    const p = await loadOrCold(path, { onWarning: (error) => warnings.push(error) });
    expect(p.runsLearned).toBe(0);
    expect(warnings.map((w) => w.problem)).toEqual(["corrupt"]);
    await loadOrCold(join(dir, "first-start.json"), { onWarning: (error) => warnings.push(error) });
    expect(warnings).toHaveLength(1); // a missing file is the normal first start
  });
});

describe("OnlinePredictor - properties", () => {
  const weirdString = fc.oneof(
    fc.string(),
    fc.string({ unit: "grapheme", maxLength: 200 }),
    fc.constantFrom(
      "",
      "\u0000",
      "\ud800",
      "9".repeat(400),
      "three ".repeat(3000),
      "- a\n".repeat(500),
      "1e308, -0, NaN",
    ),
  );
  const schema = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.jsonValue(),
    fc.constant({ type: "object", properties: { self: { $ref: "#" } }, required: ["self", "self"] }),
    fc.constant({
      properties: { a: { enum: "not-an-array" }, b: null, c: { type: "array" } },
      required: "x",
    }),
  );
  const tool = fc.record({
    name: weirdString,
    description: fc.option(weirdString, { nil: undefined }),
    parameters: schema,
  });
  const context = fc.record({
    systemPrompt: weirdString,
    userPrompt: weirdString,
    tools: fc.array(tool, { maxLength: 60 }),
    toolRoundsDone: fc.oneof(fc.nat(300), fc.constantFrom(-1, Number.NaN, Number.POSITIVE_INFINITY, 1e300)),
    promptTokens: fc.option(fc.double(), { nil: undefined }),
  });
  const observation = fc.record({
    toolRounds: fc.oneof(fc.nat(100), fc.double()),
    toolCallsPerRound: fc.double(),
    outputTokensPerCall: fc.array(fc.double(), { maxLength: 5 }),
    finalOutputTokens: fc.double(),
  });

  it.each([
    ["OnlinePredictor", () => createPredictor({ hashBits: 8 })],
    ["MeanBaselinePredictor", () => new MeanBaselinePredictor()],
  ])("%s: predictions are never NaN, negative or infinite, before and after learning anything", (_, make) => {
    {
      const predictor = make();
      fc.assert(
        fc.property(context, observation, weirdString, fc.double(), (c, o, toolName, latency) => {
          expectSane(predictor.predict(c as PredictionContext));
          predictor.learnRun(c as PredictionContext, o);
          predictor.learnToolLatency(toolName, latency);
          expectSane(predictor.predict(c as PredictionContext));
        }),
        { numRuns: 150 },
      );
    }
  });
});
