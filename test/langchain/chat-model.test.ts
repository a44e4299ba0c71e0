/**
 * withAugServe() and the ChatOpenAI path over real HTTP. The server is `startMiniOpenAI` (a test double
 * for failure injection and request capture) and the scheduler `FifoTestScheduler` (test double, see
 * helpers.ts).
 */

import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, AIMessageChunk, type BaseMessage, HumanMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { tool } from "@langchain/core/tools";
import { ChatOpenAI } from "@langchain/openai";
import { createAgent } from "langchain";
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  AugServeIncompleteResponseError,
  AugServeInvalidModelError,
  createAugServe,
  findAugServeError,
  localTokenCounts,
  withAugServe,
} from "../../src/langchain/index.js";
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
    // At most the first attempt reached the server (none when a busy machine took the 100 ms to send it): the
    // time-out aborts the call, retries included, instead of timing each attempt.
    expect(server.bodies.length).toBeLessThanOrEqual(1);
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

/** A fake chat model whose bindTools works and whose answer calls the bound tool (LangChain's default structured output). */
class ExtractingFakeModel extends BaseChatModel {
  #toolName: string | undefined;
  override _llmType(): string {
    return "extracting-fake";
  }
  override bindTools(tools: unknown[]): this {
    const first = tools[0] as { function?: { name?: string }; name?: string } | undefined;
    const copy = new ExtractingFakeModel({}) as this;
    copy.#toolName = first?.function?.name ?? first?.name;
    return copy;
  }
  override async _generate(): Promise<ChatResult> {
    const message = new AIMessageChunk({
      content: "",
      tool_calls: [
        { id: "x1", name: this.#toolName ?? "extract", args: { city: "Paris", temperatureC: 18 } },
      ],
    });
    return { generations: [{ text: "", message }] };
  }
}

const Weather = z.object({ city: z.string(), temperatureC: z.number() });

describe("withAugServe() - Validation (issue 14, defect 7)", () => {
  it("rejects what is not a chat model with AugServeInvalidModelError naming what came", () => {
    for (const bad of [{}, null, "gpt", { invoke: 1 }, 42]) {
      expect(() => withAugServe(bad as never)).toThrow(AugServeInvalidModelError);
    }
    try {
      withAugServe({} as never);
    } catch (error) {
      expect((error as AugServeInvalidModelError).got).toBe("`{}` (object)");
      expect((error as Error).message).toMatch(/expected a chat model .* got `\{\}` \(object\)/);
    }
  });

  it("wrapping a model this scheduler already schedules returns the same wrapper", () => {
    const aug = createAugServe({ scheduler: new FifoTestScheduler(), registry: null });
    const once = aug.wrap(new ScriptedToolModel());
    expect(aug.wrap(once)).toBe(once);
    expect(withAugServe(once, aug)).toBe(once);
  });
});

describe("withAugServe() - structured output and return types (issue 12, point 2)", () => {
  it("invoke() returns an AIMessageChunk, as its type says, and instanceof AIMessage still holds", async () => {
    const model = withAugServe(new ScriptedToolModel(), {
      scheduler: new FifoTestScheduler(),
      registry: null,
    });
    const message = await model.invoke("rounds=1 parallel=1 go");
    expect(AIMessageChunk.isInstance(message)).toBe(true);
    expect(message).toBeInstanceOf(AIMessage);
    expect(message.tool_calls?.map((c) => c.name)).toEqual(["lookup"]);
  });

  it("withStructuredOutput on a fake model: the wrapped model's own, scheduled, with the same result", async () => {
    const scheduler = new FifoTestScheduler();
    const aug = createAugServe({ scheduler, registry: null });
    const expected = await new ExtractingFakeModel({}).withStructuredOutput(Weather).invoke("weather?");
    const result = await aug
      .wrap(new ExtractingFakeModel({}))
      .withStructuredOutput(Weather)
      .invoke("weather?");
    expect(result).toEqual(expected);
    expect(result).toEqual({ city: "Paris", temperatureC: 18 });
    expect(scheduler.admittedOrder).toHaveLength(1);
    expect(aug.records().map((r) => r.outcome)).toEqual(["ok"]);
    const raw = await aug
      .wrap(new ExtractingFakeModel({}))
      .withStructuredOutput(Weather, { includeRaw: true })
      .invoke("w");
    expect(raw.parsed).toEqual(expected);
    expect(AIMessage.isInstance(raw.raw)).toBe(true);
  });

  it("withStructuredOutput on ChatOpenAI sends response_format (jsonSchema) and returns what ChatOpenAI returns", async () => {
    server = await startMiniOpenAI({ content: () => JSON.stringify({ city: "Oslo", temperatureC: 4 }) });
    const scheduler = new FifoTestScheduler();
    const aug = createAugServe({ scheduler, registry: null });
    const expected = await openai(server.baseURL)
      .withStructuredOutput(Weather, { method: "jsonSchema" })
      .invoke("w");
    const result = await aug
      .wrap(openai(server.baseURL))
      .withStructuredOutput(Weather, { method: "jsonSchema", name: "weather" })
      .invoke("w");
    expect(result).toEqual(expected);
    expect(server.bodies.map((b) => (b.response_format as { type?: string } | undefined)?.type)).toEqual([
      "json_schema",
      "json_schema",
    ]);
    expect(server.bodies[1]).not.toHaveProperty("tools");
    // The usage came from the call's observer (the result is not a message).
    expect(scheduler.results).toEqual([{ outputTokens: 3, promptTokens: 30, cachedPromptTokens: 16 }]);
  });
});

describe("A response cut before its end (issue 14, defect 8)", () => {
  it("a stream without its finish chunk and [DONE] fails the call: no ok run, nothing learned", async () => {
    server = await startMiniOpenAI({ truncateStreams: true });
    const learned: unknown[] = [];
    const predictor = {
      predict: () => ({
        remainingToolRounds: 0,
        toolCallsPerRound: 0,
        outputTokensPerCall: 10,
        finalOutputTokens: 10,
        toolLatencyMs: 10,
      }),
      learnRun: (...args: unknown[]) => learned.push(args),
      learnToolLatency: () => {},
    };
    const scheduler = new FifoTestScheduler();
    const aug = createAugServe({ scheduler, predictor, registry: null });
    // What LangChain gives: the partial text, as if it were the whole answer.
    let partial = "";
    for await (const chunk of await openai(server.baseURL).stream("hi")) partial += chunk.text;
    expect(partial).toBe("hello from mini");
    const chunks: string[] = [];
    const error = await (async () => {
      for await (const chunk of await aug.wrap(openai(server.baseURL)).stream("hi")) chunks.push(chunk.text);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AugServeIncompleteResponseError);
    expect(chunks.join("")).toBe("hello from mini");
    const viaInvoke = await aug
      // localTokenCounts: `streaming: true` would otherwise download tiktoken's tables (defect 10).
      .wrap(localTokenCounts(openai(server.baseURL, { streaming: true })))
      .invoke("hi", { callbacks: [] })
      .catch((e: unknown) => e);
    expect(viaInvoke).toBeInstanceOf(AugServeIncompleteResponseError);
    expect(aug.records().map((r) => r.outcome)).toEqual(["error", "error"]);
    // Through the middleware, streamed by the agent (LangChain keeps the finish reason in the generation's
    // info there, not in the message).
    const agent = createAgent({
      model: openai(server.baseURL),
      tools: [lookup],
      middleware: [aug.middleware()],
    });
    const viaAgent = await (async () => {
      for await (const _ of await agent.stream(
        { messages: [{ role: "user", content: "hi" }] },
        { streamMode: "messages" },
      )) {
      }
    })().catch((e: unknown) => e);
    expect(findAugServeError(viaAgent)).toBeInstanceOf(AugServeIncompleteResponseError);
    expect(aug.records().map((r) => r.outcome)).toEqual(["error", "error", "error"]);
    expect(learned).toEqual([]);
    expect(scheduler.inFlightTokens).toBe(0);
  });
});

describe("withAugServe() - public types", () => {
  it("invoke resolves to an AIMessageChunk; withStructuredOutput to the schema's type (or raw and parsed)", () => {
    const model = withAugServe(new ScriptedToolModel(), {
      scheduler: new FifoTestScheduler(),
      registry: null,
    });
    expectTypeOf(model.invoke).returns.resolves.toEqualTypeOf<AIMessageChunk>();
    expectTypeOf(model.withStructuredOutput(Weather).invoke).returns.resolves.toEqualTypeOf<{
      city: string;
      temperatureC: number;
    }>();
    expectTypeOf(
      model.withStructuredOutput(Weather, { includeRaw: true }).invoke,
    ).returns.resolves.toEqualTypeOf<{
      raw: BaseMessage;
      parsed: { city: string; temperatureC: number };
    }>();
  });
});
