import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StreamingDetokenizer } from "../../src/engine/detokenizer.js";
import { type GenerationRequest, LlamaEngine } from "../../src/engine/engine.js";
import { loadModel, type Token } from "../../src/engine/llama.js";
import { tinyModel } from "./helpers.js";

let model: Awaited<ReturnType<typeof tinyModel>>;
let engine: LlamaEngine;
let prompt: (text: string) => Token[];
beforeAll(async () => {
  model = await tinyModel(2);
  const loaded = await loadModel({ modelPath: model.path, parallel: 2, contextSize: 1024, threads: 1 });
  engine = new LlamaEngine(loaded, 1024);
  prompt = (text) => [loaded.model.tokens.bos as Token, ...loaded.model.tokenize(text)];
});
afterAll(async () => {
  await engine?.close();
  await model?.dispose();
});

function request(text: string, maxTokens: number, extra: Partial<GenerationRequest> = {}): GenerationRequest {
  return { prompt: prompt(text), maxTokens, signal: new AbortController().signal, onToken() {}, ...extra };
}

describe("StreamingDetokenizer", () => {
  it("never splits a multi-byte character across pushes", () => {
    const text = "héllo ✓ wörld 日本 🙂!";
    const tokens = engine.loaded.model.tokenize(text);
    const detokenizer = new StreamingDetokenizer(engine.loaded.model);
    const pieces = tokens.map((t) => detokenizer.push(t));
    pieces.push(detokenizer.flush());
    expect(pieces.join("")).toBe(text);
    expect(pieces.some((p) => p.includes("\uFFFD"))).toBe(false);
    // Byte fallback: some tokens released nothing (an incomplete character was held back).
    expect(pieces.filter((p) => p === "").length).toBeGreaterThan(0);
  });
});

describe("LlamaEngine.generate()", () => {
  it("decodes exactly maxTokens tokens", async () => {
    const tokens: Token[] = [];
    const result = await engine.generate(request("count me", 25, { onToken: (t) => tokens.push(t) }));
    expect(result).toMatchObject({ tokens: 25, aborted: false });
    expect(tokens).toHaveLength(25);
  });

  it("requests beyond `parallel` wait in FIFO order (deferred), then all run", async () => {
    const firstTokens: string[] = [];
    const names = ["a", "b", "c", "d", "e"];
    const runs = names.map((name) =>
      engine.generate(
        request(`queued request ${name}`, 8, {
          onToken: (_, index) => {
            if (index === 0) firstTokens.push(name);
          },
        }),
      ),
    );
    expect(engine.stats()).toMatchObject({ processing: 2, deferred: 3 });
    const results = await Promise.all(runs);
    expect(results.every((r) => r.tokens === 8)).toBe(true);
    // FIFO: c and d take the slots a and b free (in either order within one step), e the next one.
    expect(new Set(firstTokens.slice(0, 2))).toEqual(new Set(["a", "b"]));
    expect(new Set(firstTokens.slice(2, 4))).toEqual(new Set(["c", "d"]));
    expect(firstTokens[4]).toBe("e");
    expect(engine.stats()).toMatchObject({ processing: 0, deferred: 0, kvCacheUsageRatio: 0 });
  });

  it("abort stops decoding and frees the slot; a queued request that aborts leaves the queue", async () => {
    const running = [new AbortController(), new AbortController()];
    const queued = new AbortController();
    let seen = 0;
    const long = running.map((controller, i) =>
      engine.generate(
        request(`long ${i}`, 900, {
          signal: controller.signal,
          onToken: () => {
            if (++seen === 10) for (const c of running) c.abort();
          },
        }),
      ),
    );
    const waiting = engine.generate(request("waiting", 5, { signal: queued.signal }));
    expect(engine.stats().deferred).toBe(1);
    queued.abort();
    expect(await waiting).toEqual({ tokens: 0, cachedTokens: 0, aborted: true });
    const results = await Promise.all(long);
    expect(results.every((r) => r.aborted && r.tokens < 900)).toBe(true);
    expect(engine.stats()).toMatchObject({ processing: 0, deferred: 0, kvCacheUsageRatio: 0 });
    // The freed slots serve the next request.
    expect((await engine.generate(request("after the abort", 3))).tokens).toBe(3);
  });

  it("reuses a slot's KV for a shared prompt prefix (prefix-cache hit)", async () => {
    const base = "the conversation so far with the model and a tool result about the weather";
    await engine.generate(request(base, 4));
    const before = engine.stats().prefixCacheHitsTotal;
    const first = prompt(base).length;
    const next = await engine.generate(request(`${base} and then one more question`, 4));
    expect(next.cachedTokens).toBeGreaterThanOrEqual(first - 1);
    expect(engine.stats().prefixCacheHitsTotal - before).toBe(next.cachedTokens);
  });
});
