/**
 * `PromptTokenizer`: the byte bound is a true lower bound on the token count, and the worker thread gives the
 * same tokens as the inline path (the real native tokenizer on both sides, the generated tiny model).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineRequestError } from "../../src/engine/errors.js";
import { type LoadedModel, loadModel } from "../../src/engine/llama.js";
import { maxTokenBytesOf, PromptTokenizer } from "../../src/engine/tokenize.js";
import { tinyModel } from "./helpers.js";

let model: Awaited<ReturnType<typeof tinyModel>>;
let loaded: LoadedModel;
let inline: PromptTokenizer;
let worker: PromptTokenizer;
beforeAll(async () => {
  model = await tinyModel();
  loaded = await loadModel({ modelPath: model.path, parallel: 1, contextSize: 256, threads: 1 });
  inline = new PromptTokenizer(loaded.model, model.path, { inlineBytes: Number.POSITIVE_INFINITY });
  worker = new PromptTokenizer(loaded.model, model.path, { inlineBytes: 0 });
});
afterAll(async () => {
  await worker?.close();
  await inline?.close();
  await loaded?.dispose();
  await model?.dispose();
});

// Text that exercises every path of the SPM tokenizer: known words, ASCII, byte fallback, combining marks.
const text = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 200 }),
  fc
    .array(fc.constantFrom("the ", "data", " tool", "中", "\u0301", "é", "😀", "\n", "<|im_start|>"), {
      maxLength: 80,
    })
    .map((parts) => parts.join("")),
);

describe("PromptTokenizer", () => {
  it("maxTokenBytesOf() - the longest token text of the vocabulary (tiny model: ▁arguments, 12 bytes)", () => {
    expect(maxTokenBytesOf(loaded.model)).toBe(12);
    expect(inline.maxTokenBytes).toBe(12);
  });

  it(".tokenizePrompt() - bytes / maxTokenBytes never exceeds the real token count", () => {
    fc.assert(
      fc.property(text, (t) => {
        const tokens = loaded.model.tokenize(t).length;
        expect(tokens).toBeGreaterThanOrEqual(Math.ceil(Buffer.byteLength(t) / inline.maxTokenBytes));
      }),
      { numRuns: 300 },
    );
  });

  it(".tokenizePrompt() - the worker gives the same tokens as the inline path", async () => {
    await fc.assert(
      fc.asyncProperty(text, async (t) => {
        expect(await worker.tokenizePrompt(t, 1 << 20)).toEqual(await inline.tokenizePrompt(t, 1 << 20));
      }),
      { numRuns: 60 },
    );
  });

  it(".tokenizePrompt() - refuses before tokenizing when the bytes cannot fit, after when the tokens do not", async () => {
    const early = await inline.tokenizePrompt("x".repeat(5_000), 256).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(EngineRequestError);
    expect((early as EngineRequestError).promptBytes).toBe(5_000);
    expect((early as EngineRequestError).message).toMatch(/at least 418 .*refused before tokenizing/);
    const late = await inline.tokenizePrompt("x".repeat(1_000), 256).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(EngineRequestError);
    expect((late as EngineRequestError).promptBytes).toBeUndefined();
    expect((late as EngineRequestError).promptTokens).toBe(1_001);
  });

  it(".close() - rejects what the worker still holds; the tokenizer stays closed", async () => {
    const closing = new PromptTokenizer(loaded.model, model.path, { inlineBytes: 0 });
    await closing.tokenizePrompt("warm up", 256);
    const pending = closing.tokenizePrompt("a".repeat(100), 1 << 20).catch((e: unknown) => e);
    await closing.close();
    expect(String(await pending)).toMatch(/closed/);
    await expect(closing.tokenizePrompt("again", 256)).rejects.toThrow(/closed/);
  });
});
