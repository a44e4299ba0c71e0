/**
 * One accounting (issue 24, DESIGN.md section 4): the gateway measures a request by src/accounting's rules,
 * so the scheduler is told the same prompt tokens for the same conversation whether it comes through the
 * middleware, the virtual bench or the gateway. (It had its own copy of the constants in gateway/tokens.ts.)
 */
import { describe, expect, it } from "vitest";
import {
  CallAccounting,
  conversationSize,
  type ObservedMessage,
  toolChars,
} from "../../src/accounting/index.js";
import { requestSize } from "../../src/gateway/conversation.js";
import { chatCompletionBodySchema } from "../../src/wire/schema.js";
import { WEATHER_TOOL } from "./helpers.js";

describe("the gateway's token accounting is src/accounting's", () => {
  const args = { city: "Paris", days: 3 };
  const body = chatCompletionBodySchema(1 << 20).parse({
    model: "m",
    messages: [
      { role: "system", content: "You are a weather agent." },
      {
        role: "user",
        content: [
          { type: "text", text: "Weather in " },
          { type: "text", text: "Paris?" },
        ],
      },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "c1", type: "function", function: { name: "get_weather", arguments: JSON.stringify(args) } },
        ],
      },
      { role: "tool", tool_call_id: "c1", content: "sunny, 21 C" },
    ],
    tools: [WEATHER_TOOL],
  });
  // The same conversation as the middleware observes it (LangChain messages are ObservedMessages).
  const observed: ObservedMessage[] = [
    { content: "You are a weather agent." },
    {
      content: [
        { type: "text", text: "Weather in " },
        { type: "text", text: "Paris?" },
      ],
    },
    { content: "", tool_calls: [{ name: "get_weather", args }] },
    { content: "sunny, 21 C" },
  ];

  it("requestSize() equals conversationSize() of the same conversation (characters, messages, head)", () => {
    expect(requestSize(body)).toEqual(conversationSize(observed, [toolChars(WEATHER_TOOL.function)]));
  });

  it("so CallAccounting plans the same prompt tokens for both, and learns the same from usage", () => {
    const a = new CallAccounting();
    const viaGateway = a.plan({}, "m", requestSize(body));
    const viaMiddleware = a.plan({}, "m", conversationSize(observed, [toolChars(WEATHER_TOOL.function)]));
    expect(viaGateway).toEqual(viaMiddleware);
  });

  it("a long first message is keyed by hash and length, so the accounting's per-agent memory does not keep it", () => {
    const long = "s".repeat(400 * 1024);
    const size = requestSize(
      chatCompletionBodySchema(1 << 20).parse({ messages: [{ role: "system", content: long }] }),
    );
    expect(size.head?.length).toBeLessThan(40);
    expect(size.chars).toBe(long.length);
    const other = requestSize(
      chatCompletionBodySchema(1 << 20).parse({ messages: [{ role: "system", content: `${long}t` }] }),
    );
    expect(other.head).not.toBe(size.head);
  });
});
