import { describe, expect, it } from "vitest";
import { ContinuationIndex, extendChain, messageChain } from "../../src/gateway/conversation.js";
import { readHints } from "../../src/gateway/hints.js";
import { GatewayOptionsError, startGateway } from "../../src/gateway/index.js";
import { parseGatewayOptions } from "../../src/gateway/options.js";
import type { ChatMessage } from "../../src/wire/schema.js";

const user: ChatMessage = { role: "user", content: "weather in Paris?" };
const reply = { text: "Let me check.", toolCalls: [{ name: "get_weather", arguments: '{"city": "Paris"}' }] };

describe("conversation continuity - messageChain() / extendChain() / ContinuationIndex", () => {
  it("a request that extends an earlier request plus its reply is found, whatever the client did to whitespace, ids and text", () => {
    const index = new ContinuationIndex();
    const first = messageChain([user]);
    index.set("run-1", extendChain(first, reply));
    const next: ChatMessage[] = [
      user,
      // The client sends the reply back re-serialised, with its own id and without the text.
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "x1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: "tool", tool_call_id: "x1", content: "sunny" },
    ];
    expect(index.find(messageChain(next))).toEqual({ runId: "run-1", at: 1 });
    const other: ChatMessage[] = [{ role: "user", content: "weather in Rome?" }, ...next.slice(1)];
    expect(index.find(messageChain(other))).toBeUndefined();
    index.delete("run-1");
    expect(index.find(messageChain(next))).toBeUndefined();
    expect(index.size).toBe(0);
  });

  it("one entry per run: setting a run's next value replaces its previous one", () => {
    const index = new ContinuationIndex();
    index.set("a", 1);
    index.set("a", 2);
    index.set("b", 2);
    expect(index.size).toBe(1);
    expect(index.find([2])).toEqual({ runId: "b", at: 0 });
  });
});

describe("readHints() - run hints from headers", () => {
  it("reads the run id (x-augserve-run-id first, then x-session-id, then body session_id), class, TTFT and tenant", () => {
    expect(
      readHints(
        {
          "x-session-id": "s-1",
          "x-augserve-priority": "background",
          "x-augserve-slo-ttft-ms": "1500",
          "x-augserve-tenant": "team-a",
        },
        "x-augserve-tenant",
      ),
    ).toEqual({ runId: "s-1", priorityClass: "background", ttftMs: 1500, tenant: "team-a" });
    expect(readHints({ "x-augserve-run-id": "r", "x-session-id": "s" }, "x-augserve-tenant").runId).toBe("r");
    expect(readHints({}, "x-augserve-tenant", "body-session").runId).toBe("body-session");
  });

  it("rejects bad values with a 400 naming the header", () => {
    for (const [name, value] of [
      ["x-augserve-priority", "urgent"],
      ["x-augserve-slo-ttft-ms", "-1"],
      ["x-augserve-slo-ttft-ms", "3e9"],
      ["x-augserve-run-id", "has space"],
    ] as const) {
      expect(() => readHints({ [name]: value }, "x-augserve-tenant")).toThrow(
        expect.objectContaining({ status: 400, param: name }),
      );
    }
  });
});

describe("startGateway() - options", () => {
  it("rejects unknown keys with a did-you-mean, bad URLs and no upstreams, naming the field", async () => {
    await expect(
      startGateway({ upstreams: ["http://127.0.0.1:1/v1"], runIdleTimeOutMs: 5 } as never),
    ).rejects.toThrow(/runIdleTimeOutMs.*did you mean `runIdleTimeoutMs`/);
    expect(() => parseGatewayOptions({ upstreams: ["localhost:8000"] })).toThrow(GatewayOptionsError);
    expect(() => parseGatewayOptions({ upstreams: ["file:///etc/passwd"] })).toThrow(/upstreams\.0/);
    expect(() => parseGatewayOptions({ upstreams: [] })).toThrow(/at least one upstream/);
    expect(() => parseGatewayOptions({ upstreams: ["http://a:1/v1", "http://a:1"] })).toThrow(/distinct/);
    expect(() => parseGatewayOptions({ upstreams: ["http://a:1"], runIdleTimeoutMs: 3e9 })).toThrow(
      /runIdleTimeoutMs/,
    );
    expect(() => parseGatewayOptions({ upstreams: ["http://a:1"], apiKeys: ["short"] })).toThrow(
      /apiKeys\.0/,
    );
  });

  it("defaults: loopback, port 8080, augserve policy and placement", () => {
    const o = parseGatewayOptions({ upstreams: ["http://127.0.0.1:8000/v1"] });
    expect([o.host, o.port, o.policy, o.placement]).toEqual(["127.0.0.1", 8080, "augserve", "augserve"]);
  });
});
