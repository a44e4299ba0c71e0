import { describe, expect, it } from "vitest";
import { ScriptedModel } from "../../src/script/scripted-model.js";
import { textPieces } from "../../src/script/text.js";
import { countTokens, tokenPieces } from "../../src/script/tokenizer.js";

const script = {
  firstUserMessage: "Plan my trip",
  rounds: [
    { outputTokens: 7, toolCalls: [{ name: "search", arguments: { q: "flights", max: 3 } }] },
    {
      outputTokens: 0,
      toolCalls: [
        { name: "book", arguments: { id: 1 } },
        { name: "pay", arguments: { amount: 12.5 } },
      ],
    },
  ],
  finalOutputTokens: 40,
};

describe("textPieces()", () => {
  it("produces exactly n tokens under the simulator tokenizer, deterministically", () => {
    for (const n of [1, 2, 17, 300]) {
      const text = textPieces(n, 42).join("");
      expect(countTokens(text)).toBe(n);
      expect(textPieces(n, 42).join("")).toBe(text);
    }
    expect(textPieces(50, 1).join("")).not.toBe(textPieces(50, 2).join(""));
  });

  it("tokenPieces() splits text back into its tokens", () => {
    const text = 'Hello, internationalization {"a":123456}';
    expect(tokenPieces(text).join("")).toBe(text);
    expect(tokenPieces(text)).toHaveLength(countTokens(text));
  });
});

describe("ScriptedModel.plan()", () => {
  const model = new ScriptedModel({ seed: 3 });
  model.register([script]);
  const user = { role: "user", content: "Plan my trip" };
  const tool = { role: "tool", content: "ok" };

  it("follows the script round by round, counting tool results", () => {
    const r0 = model.plan([user], undefined, true);
    expect(r0.toolCalls.map((c) => JSON.parse(c.arguments))).toEqual([{ q: "flights", max: 3 }]);
    expect(r0.finishReason).toBe("tool_calls");
    // The scripted 7 tokens include the arguments' tokens; the text gets what they leave.
    const argumentTokens = r0.toolCalls[0]!.pieces.length;
    expect(r0.text).toHaveLength(Math.max(0, 7 - argumentTokens));
    expect(r0.totalTokens).toBe(Math.max(7, argumentTokens));
    const r1 = model.plan([user, { role: "assistant", content: "" }, tool], undefined, true);
    expect(r1.toolCalls.map((c) => c.name)).toEqual(["book", "pay"]);
    const final = model.plan([user, tool, tool, tool], undefined, true);
    expect(final.toolCalls).toEqual([]);
    expect(final.text).toHaveLength(40);
    expect(final.finishReason).toBe("stop");
  });

  it("is deterministic for a seed, and cuts at max_tokens without half tool calls", () => {
    expect(model.plan([user], undefined, true).text).toEqual(model.plan([user], undefined, true).text);
    const cut = model.plan([user], 8, true);
    expect(cut).toMatchObject({ totalTokens: 8, finishReason: "length", toolCalls: [] });
    expect(cut.text).toHaveLength(8);
  });

  it("answers unknown conversations with a plain answer of the default length", () => {
    const plan = model.plan([{ role: "user", content: "who are you?" }], undefined, true);
    expect(plan).toMatchObject({ scripted: false, finishReason: "stop", totalTokens: 64 });
  });
});

describe("scriptsFromRuns()", () => {
  it("turns generated runs into conversation scripts keyed by the user prompt", async () => {
    const { scriptsFromRuns } = await import("../../src/sim/run-scripts.js");
    const [s] = scriptsFromRuns([
      {
        userPrompt: "u1",
        script: {
          rounds: [{ outputTokens: 3, calls: [{ tool: "t", arguments: { a: 1 } }] }],
          finalOutputTokens: 9,
        },
      },
    ]);
    expect(s).toEqual({
      firstUserMessage: "u1",
      rounds: [{ outputTokens: 3, toolCalls: [{ name: "t", arguments: { a: 1 } }] }],
      finalOutputTokens: 9,
    });
  });
});
