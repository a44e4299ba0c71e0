/**
 * Real LangChain agents (createAgent + ChatOpenAI with baseURL) with the augserve() middleware and the real
 * AugServe scheduler against the real engine (llama.cpp through node-llama-cpp) on a generated tiny model.
 */
import { tool } from "@langchain/core/tools";
import { ChatOpenAI } from "@langchain/openai";
import { createAgent } from "langchain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type EngineServer, startEngineServer } from "../../src/engine/server.js";
import { createAugServe, createScheduler } from "../../src/langchain/index.js";
import type { ConversationScript } from "../../src/script/types.js";
import { tinyModel } from "./helpers.js";

const weather = tool(async ({ city }) => `Sunny in ${city}, 21 C`, {
  name: "get_weather",
  description: "Current weather of a city.",
  schema: z.object({ city: z.string() }),
});

function script(user: string, rounds: number): ConversationScript {
  return {
    firstUserMessage: user,
    rounds: Array.from({ length: rounds }, (_, r) => ({
      outputTokens: 10,
      toolCalls: [{ name: "get_weather", arguments: { city: `city ${r}` } }],
    })),
    finalOutputTokens: 40,
  };
}

const USERS = Array.from({ length: 6 }, (_, i) => `Engine agent ${i}: what is the weather?`);

let model: Awaited<ReturnType<typeof tinyModel>>;
let engine: EngineServer;
beforeAll(async () => {
  model = await tinyModel();
  engine = await startEngineServer({ modelPath: model.path, parallel: 2, contextSize: 2048 });
  engine.registerScripts(USERS.map((user, i) => script(user, 1 + (i % 2))));
});
afterAll(async () => {
  await engine?.close();
  await model?.dispose();
});

const chat = () =>
  new ChatOpenAI({
    model: "tiny",
    apiKey: "engine",
    maxRetries: 0,
    configuration: { baseURL: engine.baseURL },
  });
const shape = (messages: { getType(): string; content: unknown; tool_calls?: { args: unknown }[] }[]) =>
  messages.map((m) => [m.getType(), m.content, (m.tool_calls ?? []).map((c) => c.args)]);

describe("augserve() with real agents against the real engine", () => {
  it("6 concurrent agents complete under the AugServe scheduler; histories match runs without it", async () => {
    const scheduler = createScheduler({ policy: "augserve" });
    const aug = createAugServe({ scheduler, registry: null, serverMetricsUrl: engine.metricsUrl });
    const scheduled = createAgent({ model: chat(), tools: [weather], middleware: [aug.middleware()] });
    const plain = createAgent({ model: chat(), tools: [weather] });
    const ask = (user: string) => ({ messages: [{ role: "user", content: user }] });

    const results = await Promise.all(USERS.map((user) => scheduled.invoke(ask(user))));
    const baseline = await plain.invoke(ask(USERS[1] as string));
    expect(shape(results[1]?.messages ?? [])).toEqual(shape(baseline.messages));
    // Rounds alternate 1, 2: messages = user + (assistant + tool) x rounds + final answer.
    expect(results.map((r) => r.messages.length)).toEqual([4, 6, 4, 6, 4, 6]);
    const records = aug.records();
    expect(records).toHaveLength(6);
    expect(records.every((r) => r.ok)).toBe(true);
    const snap = scheduler.snapshot();
    expect(snap.inFlightTokens).toBe(0);
    expect(snap.activeRuns).toBe(0);
    const stats = engine.engine.stats();
    expect(stats.processing).toBe(0);
    expect(stats.deferred).toBe(0);
    // An agent's next call finds its conversation's prefix in a slot's KV.
    expect(stats.prefixCacheHitsTotal).toBeGreaterThan(0);
    aug.close();
  });
});
