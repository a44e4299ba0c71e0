/**
 * Offline use (issue 14, defect 10): `ChatOpenAI({ streaming: true }).invoke()` counts tokens with tiktoken,
 * whose tables LangChain downloads from tiktoken.pages.dev on every call until one succeeds, with 6 retries.
 * Here every request to a host other than 127.0.0.1 is recorded and fails at once with an AbortError (the one
 * failure LangChain does not retry; it retries even HTTP 403 here), so the tests are fast offline and online. The server is `startMiniOpenAI` (a test double).
 */
import { ChatOpenAI } from "@langchain/openai";
import { createAgent } from "langchain";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { chatModel } from "../../examples/shared.js";
import { augserve, localTokenCounts, withAugServe } from "../../src/langchain/index.js";
import { FifoTestScheduler } from "./helpers.js";
import { type MiniOpenAI, startMiniOpenAI } from "./mini-openai.js";

let server: MiniOpenAI;
const external: string[] = [];
const realFetch = globalThis.fetch;
beforeAll(async () => {
  // LangChain warns "Failed to calculate number of tokens" for each refused download.
  vi.spyOn(console, "warn").mockImplementation(() => {});
  server = await startMiniOpenAI();
  globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (new URL(url).hostname !== "127.0.0.1") {
      external.push(url);
      throw new DOMException("offline (test)", "AbortError");
    }
    return realFetch(input, init);
  }) as typeof fetch;
});
afterAll(async () => {
  vi.restoreAllMocks();
  globalThis.fetch = realFetch;
  await server.close();
});

const streamingModel = () =>
  new ChatOpenAI({ model: "m", apiKey: "t", streaming: true, configuration: { baseURL: server.baseURL } });

describe("ChatOpenAI({ streaming: true }) offline", () => {
  it("what downloads: invoke() fetches tiktoken's gpt2 table (and falls back when refused)", async () => {
    external.length = 0;
    const message = await streamingModel().invoke("hi");
    expect(message.text).toBe("hello from mini");
    expect(external.length).toBeGreaterThan(0);
    expect(new Set(external)).toEqual(new Set(["https://tiktoken.pages.dev/js/gpt2.json"]));
  });

  it("localTokenCounts(model): no download, the server's usage still reported", async () => {
    external.length = 0;
    const scheduler = new FifoTestScheduler();
    const model = withAugServe(localTokenCounts(streamingModel()), { scheduler, registry: null });
    const message = await model.invoke("hi");
    expect(message.text).toBe("hello from mini");
    expect(external).toEqual([]);
    expect(scheduler.results).toEqual([{ outputTokens: 3, promptTokens: 30, cachedPromptTokens: 16 }]);
    expect(await localTokenCounts(streamingModel()).getNumTokens("twelve chars")).toBe(3);
  });

  it("the middleware warns once about a streaming: true model that would download", async () => {
    const warnings: string[] = [];
    const agent = createAgent({
      model: localTokenCounts(streamingModel()),
      tools: [],
      middleware: [
        augserve({
          scheduler: new FifoTestScheduler(),
          registry: null,
          logger: { warn: (m) => warnings.push(m) },
        }),
      ],
    });
    await agent.invoke({ messages: [{ role: "user", content: "hi" }] });
    expect(warnings).toEqual([]);
    const downloading = createAgent({
      model: streamingModel(),
      tools: [],
      middleware: [
        augserve({
          scheduler: new FifoTestScheduler(),
          registry: null,
          logger: { warn: (m) => warnings.push(m) },
        }),
      ],
    });
    await downloading.invoke({ messages: [{ role: "user", content: "hi" }] });
    await downloading.invoke({ messages: [{ role: "user", content: "again" }] });
    expect(warnings).toEqual([expect.stringMatching(/tiktoken\.pages\.dev.*localTokenCounts/s)]);
  });

  it("the examples' model counts tokens locally", async () => {
    external.length = 0;
    const model = chatModel({
      baseURL: server.baseURL,
      metricsUrl: undefined,
      model: "m",
      timeScale: 1,
      simulated: false,
      close: async () => {},
    });
    expect(await model.getNumTokens("abcd")).toBe(1);
    expect(external).toEqual([]);
  });
});
