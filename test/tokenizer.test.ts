import { describe, expect, it } from "vitest";
import { countTokens, renderConversation, tokenize } from "../src/script/tokenizer.js";

describe("tokenize()", () => {
  it("is deterministic and counts like a BPE on prose", () => {
    const text = "The quick brown fox jumps over the lazy dog, twice: 1234567.";
    expect(tokenize(text)).toEqual(tokenize(text));
    // 10 words + "," + ":" + "." + digits in groups of three (123 456 7) = 16 pieces.
    expect(tokenize(text).length).toBe(16);
    expect(countTokens(text)).toBe(tokenize(text).length);
  });

  it("gives shared text prefixes shared token prefixes", () => {
    const a = tokenize("You are a helpful assistant. Compute 2+2");
    const b = tokenize("You are a helpful assistant. Tell me a joke");
    expect(a.slice(0, 6)).toEqual(b.slice(0, 6));
    expect(a).not.toEqual(b);
  });

  it("splits long words into sub-word pieces", () => {
    expect(countTokens("internationalization")).toBe(4);
  });
});

describe("renderConversation()", () => {
  it("extends the previous conversation's tokens as a prefix when a turn is appended", () => {
    const first = [
      { role: "system", content: "Be brief." },
      { role: "user", content: "What is 2+2?" },
    ];
    const before = renderConversation(first, '[{"name":"calculator"}]');
    const after = renderConversation(
      [...first, { role: "assistant", content: "4" }],
      '[{"name":"calculator"}]',
    );
    // Everything but the trailing generation header is a prefix of the longer conversation.
    const prefix = before.slice(0, before.length - 3);
    expect(after.slice(0, prefix.length)).toEqual(prefix);
  });
});
