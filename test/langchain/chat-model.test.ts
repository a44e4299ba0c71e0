/**
 * withAugServe() and the ChatOpenAI path over real HTTP. The server is `startMiniOpenAI` (a test double
 * for failure injection and request capture) and the scheduler `FifoTestScheduler` (test double, see
 * helpers.ts).
 */
import { HumanMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { ChatOpenAI } from "@langchain/openai";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createAugServe, withAugServe } from "../../src/langchain/index.js";
import { FifoTestScheduler, ScriptedToolModel } from "./helpers.js";
import { type MiniOpenAI, startMiniOpenAI } from "./mini-openai.js";

const lookup = tool(async () => "ok", {
  name: "lookup",
  description: "Looks something up.",
  schema: z.object({ query: z.string() }),
});

let server: MiniOpenAI | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function openai(baseURL: string, fields: Partial<ConstructorParameters<typeof ChatOpenAI>[0] & object> = {}) {
  return new ChatOpenAI({ model: "m", apiKey: "test", configuration: { baseURL }, ...fields });
}

describe("withAugServe() - Basic functionality", () => {
  it("streams chunks untouched and keeps bindTools (tool-call deltas included)", async () => {
    const scheduler = new FifoTestScheduler();
    const model = withAugServe(new ScriptedToolModel(), { scheduler, registry: null });
    const bound = model.bindTools([lookup]);
    const plainChunks = [];
    for await (const c of await new ScriptedToolModel().stream("rounds=1 parallel=2 go")) plainChunks.push(c);
    const chunks = [];
    for await (const c of await bound.stream("rounds=1 parallel=2 go")) chunks.push(c);
    expect(chunks.map((c) => [c.content, c.tool_call_chunks])).toEqual(
      plainChunks.map((c) => [c.content, c.tool_call_chunks]),
    );
    expect(chunks.at(-1)?.tool_call_chunks).toHaveLength(2);
    expect(scheduler.inFlightTokens).toBe(0);
    expect([...scheduler.ended.values()]).toEqual(["ok"]);
  });

  it("calls with the same augserveRunId form one run, ended by endRunById", async () => {
    const scheduler = new FifoTestScheduler();
    const aug = createAugServe({ scheduler, registry: null });
    const model = aug.wrap(new ScriptedToolModel());
    const config = { configurable: { augserveRunId: "conv-1" } };
    await model.invoke([new HumanMessage("rounds=0 hi")], config);
    await model.invoke([new HumanMessage("rounds=0 again")], { metadata: { augserveRunId: "conv-1" } });
    expect(aug.getRun("conv-1")?.calls).toHaveLength(2);
    aug.endRunById("conv-1");
    expect(scheduler.ended.get("conv-1")).toBe("ok");
    expect(aug.report().arms.treatment.completed).toBe(1);
  });

  it("ChatOpenAI streaming over HTTP: first token and usage measured, budget released", async () => {
    server = await startMiniOpenAI();
    const scheduler = new FifoTestScheduler();
    const aug = createAugServe({ scheduler, registry: null });
    const model = aug.wrap(openai(server.baseURL, { streaming: true }));
    let text = "";
    for await (const chunk of await model.stream("hi")) text += chunk.text;
    expect(text).toBe("hello from mini");
    const [record] = aug.records();
    expect(record?.ttftMs).not.toBeNull();
    expect(record?.outputTokens).toBe(3);
    expect(scheduler.inFlightTokens).toBe(0);
  });
});

describe("ChatOpenAI over HTTP - failures, retries and priority", () => {
  it("server errors release the budget; attempts are bounded by maxRetries + 1 inside one admission", async () => {
    server = await startMiniOpenAI({ status: () => 500 });
    const scheduler = new FifoTestScheduler();
    const model = withAugServe(openai(server.baseURL, { maxRetries: 2 }), { scheduler, registry: null });
    await expect(model.invoke("hi")).rejects.toThrow();
    expect(server.bodies).toHaveLength(3);
    expect(scheduler.admittedOrder).toHaveLength(1);
    expect(scheduler.inFlightTokens).toBe(0);
    expect([...scheduler.ended.values()]).toEqual(["error"]);
  }, 60_000);

  it("the scheduler time-out covers every attempt and releases the budget", async () => {
    server = await startMiniOpenAI({ delayMs: 400 });
    const scheduler = new FifoTestScheduler();
    const model = withAugServe(openai(server.baseURL, { maxRetries: 6 }), {
      scheduler,
      registry: null,
      callTimeoutMs: 100,
    });
    await expect(model.invoke("hi")).rejects.toThrow(/callTimeoutMs=100/);
    expect(server.bodies).toHaveLength(1);
    expect(scheduler.inFlightTokens).toBe(0);
  });

  it("serverPriority sends the scheduler's priority as vLLM's priority field", async () => {
    server = await startMiniOpenAI();
    const scheduler = new FifoTestScheduler();
    const model = withAugServe(openai(server.baseURL), { scheduler, registry: null, serverPriority: true });
    await model.invoke("one");
    await model.bindTools([lookup]).invoke("two");
    expect(server.bodies.map((b) => b.priority)).toEqual([1, 2]);
    expect(server.bodies[1]?.tools).toHaveLength(1);
    const plain = withAugServe(openai(server.baseURL), { scheduler, registry: null });
    await plain.invoke("three");
    expect(server.bodies[2]).not.toHaveProperty("priority");
  });

  it("learns the prompt-token ratio and cached tokens from the server's usage", async () => {
    server = await startMiniOpenAI();
    const scheduler = new FifoTestScheduler();
    const aug = createAugServe({ scheduler, registry: null });
    const model = aug.wrap(openai(server.baseURL));
    await model.invoke("hello there, how are you today?");
    expect(scheduler.results).toEqual([{ outputTokens: 3, promptTokens: 30, cachedPromptTokens: 16 }]);
    // The raw estimate of this short prompt is well under the 30 tokens the server reported.
    expect(aug.tokenRatio("m")).toBeGreaterThan(1);
  });
});
