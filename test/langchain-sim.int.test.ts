/**
 * Real LangChain agents (createAgent + ChatOpenAI) over HTTP against the embedded simulator.
 * Tests that assert on park/unpark counts use `FifoTestScheduler` (a test double that counts them, see
 * test/langchain/helpers.ts); admission order, budget release and the A/B split use the real scheduler.
 */
import { tool } from "@langchain/core/tools";
import { ChatOpenAI } from "@langchain/openai";
import { createAgent } from "langchain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createAugServe, createScheduler } from "../src/langchain/index.js";
import type { ConversationScript } from "../src/script/types.js";
import { type SimServer, startSimServer } from "../src/sim/index.js";
import { FifoTestScheduler } from "./langchain/helpers.js";

const weather = tool(async ({ city }) => `Sunny in ${city}, 21 C`, {
  name: "get_weather",
  description: "Current weather of a city.",
  schema: z.object({ city: z.string() }),
});

function script(user: string, rounds: number, parallel = 1): ConversationScript {
  return {
    firstUserMessage: user,
    rounds: Array.from({ length: rounds }, (_, r) => ({
      outputTokens: 12,
      toolCalls: Array.from({ length: parallel }, (_, i) => ({
        name: "get_weather",
        arguments: { city: `c${r}${i}` },
      })),
    })),
    finalOutputTokens: 30,
  };
}

let sim: SimServer;
beforeAll(async () => {
  sim = await startSimServer({ timeScale: 50 });
  sim.registerScripts([script("Weather in two rounds?", 2), script("Parallel weather?", 1, 3)]);
  sim.registerScripts(Array.from({ length: 50 }, (_, i) => script(`Contention user ${i}`, i % 3)));
});
afterAll(async () => {
  await sim.close();
});

const model = () => new ChatOpenAI({ model: "sim", apiKey: "sim", configuration: { baseURL: sim.baseURL } });
const shape = (
  messages: { getType(): string; content: unknown; tool_calls?: { name: string; args: unknown }[] }[],
) => messages.map((m) => [m.getType(), m.content, (m.tool_calls ?? []).map((c) => [c.name, c.args])]);

describe("augserve() with ChatOpenAI against the simulator", () => {
  it("completes a multi-round tool run; the message history is identical with and without it", async () => {
    const scheduler = new FifoTestScheduler();
    const aug = createAugServe({ scheduler, registry: null, serverMetricsUrl: sim.metricsUrl });
    const input = { messages: [{ role: "user", content: "Weather in two rounds?" }] };
    const plain = await createAgent({ model: model(), tools: [weather] }).invoke(input);
    const scheduled = await createAgent({
      model: model(),
      tools: [weather],
      middleware: [aug.middleware()],
    }).invoke(input);
    expect(shape(scheduled.messages)).toEqual(shape(plain.messages));
    expect(scheduled.messages).toHaveLength(6);
    const [record] = aug.records();
    expect(record?.ok).toBe(true);
    expect(record?.outputTokens).toBeGreaterThanOrEqual(54);
    expect(scheduler.inFlightTokens).toBe(0);
    expect(aug.tokenRatio("sim")).not.toBe(1);
    aug.close();
  });

  it("parallel tool calls park the run once, and the run holds no budget while tools run", async () => {
    const scheduler = new FifoTestScheduler();
    const aug = createAugServe({ scheduler, registry: null });
    const held: number[] = [];
    const slowWeather = tool(
      async ({ city }) => {
        held.push(scheduler.inFlightTokens);
        await new Promise((r) => setTimeout(r, 20));
        return `Rain in ${city}`;
      },
      {
        name: "get_weather",
        description: "Current weather of a city.",
        schema: z.object({ city: z.string() }),
      },
    );
    const agent = createAgent({ model: model(), tools: [slowWeather], middleware: [aug.middleware()] });
    await agent.invoke({ messages: [{ role: "user", content: "Parallel weather?" }] });
    expect(held).toEqual([0, 0, 0]);
    expect(scheduler.parks).toBe(1);
    expect(scheduler.unparks).toBe(1);
  });

  it("streams with the middleware (streamMode messages) and records the run's TTFT", async () => {
    const scheduler = new FifoTestScheduler();
    const aug = createAugServe({ scheduler, registry: null });
    const agent = createAgent({ model: model(), tools: [weather], middleware: [aug.middleware()] });
    let chunks = 0;
    for await (const _ of await agent.stream(
      { messages: [{ role: "user", content: "Weather in two rounds?" }] },
      { streamMode: "messages" },
    )) {
      chunks += 1;
    }
    expect(chunks).toBeGreaterThan(10);
    const [record] = aug.records();
    expect(record?.ttftMs).toBeGreaterThan(0);
    expect(scheduler.inFlightTokens).toBe(0);
  });
});

describe("augserve() with the AugServe scheduler against the simulator", () => {
  it("50 concurrent agents under a tiny budget reach the server in the scheduler's admission order", async () => {
    const scheduler = createScheduler({ policy: "augserve", budget: { mode: "fixed", tokens: 1 } });
    const aug = createAugServe({ scheduler, registry: null });
    const admitted: string[] = [];
    scheduler.on("admitted", ({ runId }) => admitted.push(aug.getRun(runId)?.context.userPrompt ?? "?"));
    const sent: string[] = [];
    let maxInFlight = 0;
    const recordingFetch: typeof fetch = async (url, init) => {
      const body = JSON.parse(String(init?.body)) as { messages: { role: string; content: string }[] };
      sent.push(body.messages.find((m) => m.role === "user")?.content ?? "?");
      maxInFlight = Math.max(maxInFlight, scheduler.snapshot().inFlightCalls);
      return fetch(url, init);
    };
    const chat = new ChatOpenAI({
      model: "sim",
      apiKey: "sim",
      configuration: { baseURL: sim.baseURL, fetch: recordingFetch },
    });
    const agent = createAgent({ model: chat, tools: [weather], middleware: [aug.middleware()] });
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        agent.invoke({ messages: [{ role: "user", content: `Contention user ${i}` }] }),
      ),
    );
    // Runs with i % 3 tool rounds make rounds + 1 calls: 17 x 1 + 17 x 2 + 16 x 3.
    expect(sent).toHaveLength(99);
    expect(sent).toEqual(admitted);
    expect(maxInFlight).toBe(1);
    const snap = scheduler.snapshot();
    expect(snap.inFlightTokens).toBe(0);
    expect(snap.activeRuns).toBe(0);
    expect(aug.report().arms.treatment.completed).toBe(50);
  });

  it("server errors, aborted runs and time-outs all return in-flight tokens to 0", async () => {
    const scheduler = createScheduler({ policy: "augserve" });
    const aug = createAugServe({ scheduler, registry: null });
    const impatient = createAugServe({ scheduler, registry: null, callTimeoutMs: 1 });
    const deadServer = new ChatOpenAI({
      model: "sim",
      apiKey: "sim",
      maxRetries: 0,
      configuration: { baseURL: "http://127.0.0.1:9/v1" },
    });
    const simModel = () =>
      new ChatOpenAI({ model: "sim", apiKey: "sim", configuration: { baseURL: sim.baseURL }, maxRetries: 0 });
    const slowAgent = createAgent({ model: simModel(), tools: [weather], middleware: [aug.middleware()] });
    const timingOut = createAgent({
      model: simModel(),
      tools: [weather],
      middleware: [impatient.middleware()],
    });
    const failing = createAgent({ model: deadServer, tools: [weather], middleware: [aug.middleware()] });
    const controller = new AbortController();
    const results = await Promise.allSettled([
      failing.invoke({ messages: [{ role: "user", content: "Weather in two rounds?" }] }),
      slowAgent.invoke(
        { messages: [{ role: "user", content: "Parallel weather?" }] },
        { signal: controller.signal },
      ),
      timingOut.invoke({ messages: [{ role: "user", content: "Weather in two rounds?" }] }),
      new Promise((r) => setTimeout(r, 5)).then(() => controller.abort()),
    ]);
    expect(results.slice(0, 3).map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/callTimeoutMs=1/);
    const snap = scheduler.snapshot();
    expect(snap.inFlightTokens).toBe(0);
    expect(snap.inFlightCalls).toBe(0);
    expect(snap.queued).toBe(0);
  });
});
