import { describe, expect, it } from "vitest";
import {
  CallAccounting,
  callSpec,
  conversationSize,
  messageChars,
  rawPromptTokens,
  toolChars,
  withMessage,
} from "../../src/accounting/index.js";

const system = { content: "You are a careful assistant. ".repeat(20) };
const user = { content: "What is 17 * 23?" };
const tools = [toolChars({ name: "calculator", description: "Evaluate", parameters: { type: "object" } })];

describe("conversationSize() / rawPromptTokens()", () => {
  it("counts text, tool calls and tool schemas; template tokens per message and for the generation prompt", () => {
    const reply = {
      content: "Let me compute.",
      tool_calls: [{ name: "calculator", args: { expression: "17*23" } }],
    };
    expect(messageChars(reply)).toBe(15 + 10 + JSON.stringify({ expression: "17*23" }).length + 16);
    expect(messageChars({ content: [{ type: "text", text: "abc" }, { type: "image_url" }, "de"] })).toBe(5);
    const size = conversationSize([system, user], tools);
    expect(size).toEqual({
      messages: 2,
      chars: system.content.length + user.content.length + tools[0]!,
      head: system.content,
    });
    expect(rawPromptTokens(size, 4)).toBe(Math.ceil(size.chars / 4) + 4 * 3);
    expect(withMessage(size, reply)).toEqual({
      ...size,
      messages: 3,
      chars: size.chars + messageChars(reply),
    });
  });
});

describe("CallAccounting.plan() / settle()", () => {
  it("charges a first call its calibrated estimate, then anchors follow-ups on the reported count", () => {
    const accounting = new CallAccounting();
    const run = {};
    let size = conversationSize([system, user], tools);
    const first = accounting.plan(run, "m", size);
    expect(first.promptTokens).toBe(rawPromptTokens(size));
    expect(first.cachedPromptTokens).toBe(0);
    accounting.settle(run, first, { promptTokens: 200, outputTokens: 30 });
    expect(accounting.ratio("m")).toBeCloseTo(200 / first.rawPromptTokens);

    // The reply (30 tokens of text) and the tool's result are added to the conversation.
    size = withMessage(withMessage(size, { content: "word ".repeat(30) }), { content: "391" });
    const second = accounting.plan(run, "m", size);
    const growth = Math.round((second.rawPromptTokens - first.rawPromptTokens) * accounting.ratio("m"));
    expect(second.promptTokens).toBe(200 + growth);
    // No cached_tokens report yet: the whole previous prompt + output is assumed cached.
    expect(second.reusablePrefixTokens).toBe(230);
    expect(second.cachedPromptTokens).toBe(230);
    expect(callSpec(second)).toEqual({ promptTokens: second.promptTokens, cachedPromptTokens: 230 });
  });

  it("learns the cache hit rate from cached_tokens reports, and a first call's shared prefix per agent", () => {
    const accounting = new CallAccounting({ ratioAlpha: 1 });
    const a = {};
    const size = conversationSize([system, user], tools);
    const first = accounting.plan(a, "m", size);
    accounting.settle(a, first, { promptTokens: 200, outputTokens: 20, cachedPromptTokens: 0 });
    const next = accounting.plan(a, "m", withMessage(size, { content: "result" }));
    accounting.settle(a, next, { promptTokens: 240, outputTokens: 10, cachedPromptTokens: 110 });
    expect(accounting.hitRate("m")).toBeCloseTo(110 / 220);
    expect(accounting.hitRate("other")).toBe(1);

    // Another run of the same agent: its first call is told what the last first call found (0 so far),
    // then what a first call reported once the system prompt was cached.
    const b = {};
    const bFirst = accounting.plan(b, "m", size);
    expect(bFirst.cachedPromptTokens).toBe(0);
    accounting.settle(b, bFirst, { promptTokens: 200, outputTokens: 20, cachedPromptTokens: 160 });
    expect(accounting.plan({}, "m", size).cachedPromptTokens).toBe(160);
    // A different agent (another system prompt) has learned nothing.
    const other = conversationSize([{ content: "Another agent." }, user], tools);
    expect(accounting.plan({}, "m", other).cachedPromptTokens).toBe(0);
  });

  it("keeps runs apart, ignores missing or bad usage, and validates its options", () => {
    const accounting = new CallAccounting();
    const size = conversationSize([system, user], tools);
    const a = {};
    const b = {};
    accounting.settle(a, accounting.plan(a, "m", size), { promptTokens: 300, outputTokens: 5 });
    expect(accounting.plan(b, "m", size).cachedPromptTokens).toBe(0);
    // The same conversation again: prompt 300 + 0 growth; the cached prefix (305) is capped at the prompt.
    expect(accounting.plan(a, "m", size)).toMatchObject({ promptTokens: 300, cachedPromptTokens: 300 });
    // A call settled without a reported prompt count is not an anchor: the next one is estimated afresh.
    const c = {};
    accounting.settle(c, accounting.plan(c, "m", size), { promptTokens: Number.NaN, outputTokens: -1 });
    const again = accounting.plan(c, "m", size);
    expect(again.promptTokens).toBe(Math.round(again.rawPromptTokens * accounting.ratio("m")));
    expect(again.reusablePrefixTokens).toBe(accounting.plan({}, "m", size).promptTokens);
    expect(() => new CallAccounting({ charsPerToken: 0 })).toThrow(RangeError);
    expect(() => new CallAccounting({ ratioAlpha: 1.5 })).toThrow(RangeError);
  });
});
