import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHalfBits } from "../../src/engine/gguf/encode.js";
import {
  EngineOptionsError,
  makeModel,
  NodeLlamaCppMissingError,
  parameterCount,
} from "../../src/engine/index.js";
import { importNodeLlamaCpp, type LoadedModel, loadModel, type Token } from "../../src/engine/llama.js";
import { tinyModel } from "./helpers.js";

describe("makeModel()", () => {
  it("same seed -> byte-identical file; another seed -> other weights", () => {
    const a = makeModel({ size: "tiny", seed: 3 });
    const b = makeModel({ size: "tiny", seed: 3 });
    const c = makeModel({ size: "tiny", seed: 4 });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(c.length).toBe(a.length);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
  });

  it("writes a GGUF v3 header (magic, version, tensor count)", () => {
    const bytes = makeModel({ size: "tiny" });
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe("GGUF");
    expect(view.getUint32(4, true)).toBe(3);
    // token_embd + 9 per layer x 2 layers + output_norm + output
    expect(Number(view.getBigUint64(8, true))).toBe(21);
  });

  it("rejects an unknown size, naming what it expected", () => {
    expect(() => makeModel({ size: "huge" as "tiny" })).toThrow(EngineOptionsError);
    expect(() => makeModel({ size: "huge" as "tiny" })).toThrow(/tiny.*small.*medium/);
  });

  it("parameterCount() - grows with size", () => {
    expect(parameterCount("tiny")).toBeLessThan(parameterCount("small"));
    expect(parameterCount("small")).toBeLessThan(parameterCount("medium"));
  });
});

describe("toHalfBits()", () => {
  it("encodes IEEE half precision with round-to-nearest-even", () => {
    expect(toHalfBits(0)).toBe(0);
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(65504)).toBe(0x7bff);
    expect(toHalfBits(1e6)).toBe(0x7c00);
    expect(toHalfBits(2 ** -24)).toBe(1);
    // 1 + 2^-11 is halfway between 1 and the next half: ties to even (1).
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00);
  });
});

describe("the generated model in llama.cpp (node-llama-cpp)", () => {
  let model: Awaited<ReturnType<typeof tinyModel>>;
  let loaded: LoadedModel;
  beforeAll(async () => {
    model = await tinyModel(5);
    loaded = await loadModel({ modelPath: model.path, parallel: 2, contextSize: 256, threads: 1 });
  });
  afterAll(async () => {
    await loaded?.dispose();
    await model?.dispose();
  });

  it("loads, tokenizes with word pieces and byte fallback, and round-trips text", () => {
    const text = "the weather in Paris: 21 °C ✓";
    const tokens = loaded.model.tokenize(text);
    expect(tokens.length).toBeLessThan(text.length);
    expect(loaded.model.detokenize(tokens)).toBe(text);
  });

  it("decodes greedily, the same tokens for the same prompt, and does not stop early", async () => {
    const prompt = [loaded.model.tokens.bos as Token, ...loaded.model.tokenize("Hello the model")];
    const decode = async (index: number) => {
      const out: Token[] = [];
      const sequence = loaded.sequences[index];
      if (sequence === undefined) throw new Error("no sequence");
      for await (const token of sequence.evaluate(prompt, { temperature: 0, yieldEogToken: true })) {
        out.push(token);
        if (out.length === 100) break;
      }
      return out;
    };
    const [a, b] = await Promise.all([decode(0), decode(1)]);
    expect(a).toHaveLength(100);
    expect(b).toEqual(a);
  });

  it("importNodeLlamaCpp() - loads the optional dependency", async () => {
    await expect(importNodeLlamaCpp()).resolves.toHaveProperty("getLlama");
  });

  it("NodeLlamaCppMissingError - says exactly how to install the dependency", () => {
    const error = new NodeLlamaCppMissingError(new Error("Cannot find package 'node-llama-cpp'"));
    expect(error.name).toBe("NodeLlamaCppMissingError");
    expect(error.message).toContain("npm install node-llama-cpp@3.21.1");
    expect(error.cause).toBeInstanceOf(Error);
  });
});
