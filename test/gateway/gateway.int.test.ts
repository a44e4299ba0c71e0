/**
 * The gateway in front of two simulator replicas, driven by real clients: LangChain `createAgent` agents
 * (no middleware: the gateway schedules them without client changes) and the openai SDK.
 */
import { tool } from "@langchain/core/tools";
import { ChatOpenAI } from "@langchain/openai";
import { createAgent } from "langchain";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { GatewayRun, GatewayRunOutcome } from "../../src/gateway/index.js";
import { type Fleet, idle, startFleet, toolScript, WEATHER_TOOL, waitFor } from "./helpers.js";

const weather = tool(async ({ city }) => `Sunny in ${city}, 21 C`, {
  name: "get_weather",
  description: "Current weather of a city.",
  schema: z.object({ city: z.string() }),
});

let fleet: Fleet;
const ended: Array<{ run: GatewayRun; outcome: GatewayRunOutcome }> = [];
beforeAll(async () => {
  fleet = await startFleet(2);
  fleet.register([
    toolScript("Agent weather in two rounds?", 2),
    toolScript("Agent parallel weather?", 1, 3),
    toolScript("SDK weather, one round", 1),
    toolScript("Identity check, header", 2, 2),
    toolScript("Identity check, inferred", 2, 2),
    ...Array.from({ length: 12 }, (_, i) => toolScript(`Concurrent agent ${i}`, 1 + (i % 3))),
  ]);
  fleet.gateway.onRunEnded((run, outcome) => ended.push({ run, outcome }));
});
afterAll(async () => {
  await fleet.close();
});

const model = (headers?: Record<string, string>) =>
  new ChatOpenAI({
    model: "sim",
    apiKey: "unused",
    maxRetries: 0,
    configuration: { baseURL: fleet.gateway.baseURL, ...(headers ? { defaultHeaders: headers } : {}) },
  });

function endedRun(user: string) {
  return ended.find((e) => e.run.context.userPrompt === user);
}

describe("gateway with createAgent agents (no middleware) over two replicas", () => {
  it("runs a multi-round tool agent; the run is inferred from continuity, parked between calls, and stays on one replica", async () => {
    const agent = createAgent({ model: model(), tools: [weather] });
    const result = await agent.invoke({
      messages: [{ role: "user", content: "Agent weather in two rounds?" }],
    });
    expect(result.messages).toHaveLength(6);
    await waitFor(() => endedRun("Agent weather in two rounds?") !== undefined);
    const record = endedRun("Agent weather in two rounds?");
    expect(record?.outcome).toBe("ok");
    expect(record?.run.toolCallsPerRound).toEqual([1, 1]);
    expect(record?.run.outputsPerCall).toHaveLength(3);
    // One scheduler handle: every call of the run went to the same replica.
    expect(record?.run.handles.size).toBe(1);
    expect(idle(fleet.gateway)).toBe(true);
  });

  it("parallel tool calls park the run once (one round of three calls)", async () => {
    const agent = createAgent({ model: model(), tools: [weather] });
    await agent.invoke({ messages: [{ role: "user", content: "Agent parallel weather?" }] });
    await waitFor(() => endedRun("Agent parallel weather?") !== undefined);
    expect(endedRun("Agent parallel weather?")?.run.toolCallsPerRound).toEqual([3]);
  });

  it("concurrent agents: every run ends ok on one replica each, both replicas used, nothing left in flight", async () => {
    const users = Array.from({ length: 12 }, (_, i) => `Concurrent agent ${i}`);
    await Promise.all(
      users.map((user) =>
        createAgent({ model: model(), tools: [weather] }).invoke({
          messages: [{ role: "user", content: user }],
        }),
      ),
    );
    await waitFor(() => users.every((u) => endedRun(u) !== undefined));
    const runs = users.map((u) => endedRun(u));
    expect(runs.every((r) => r?.outcome === "ok" && r.run.handles.size === 1)).toBe(true);
    expect(new Set(runs.map((r) => r?.run.replica)).size).toBe(2);
    expect(idle(fleet.gateway)).toBe(true);
    expect(fleet.gateway.activeRuns).toBe(0);
  });

  it("header-based and inferred run identity give the same scheduling", async () => {
    const header = createAgent({ model: model({ "x-augserve-run-id": "identity-run-1" }), tools: [weather] });
    await header.invoke({ messages: [{ role: "user", content: "Identity check, header" }] });
    const inferred = createAgent({ model: model(), tools: [weather] });
    await inferred.invoke({ messages: [{ role: "user", content: "Identity check, inferred" }] });
    await waitFor(() => endedRun("Identity check, inferred") !== undefined);
    const a = endedRun("Identity check, header")?.run;
    const b = endedRun("Identity check, inferred")?.run;
    expect(a?.id).toBe("identity-run-1");
    expect(a?.explicit).toBe(true);
    expect(b?.explicit).toBe(false);
    const shape = (r: GatewayRun | undefined) => [
      r?.toolCallsPerRound,
      r?.outputsPerCall.length,
      r?.handles.size,
    ];
    expect(shape(a)).toEqual(shape(b));
    expect(shape(a)).toEqual([[2, 2], 3, 1]);
  });
});

describe("gateway with the openai SDK", () => {
  it("non-streaming tool call, then the final answer streams with usage when asked", async () => {
    const client = new OpenAI({ baseURL: fleet.gateway.baseURL, apiKey: "unused", maxRetries: 0 });
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: "user", content: "SDK weather, one round" },
    ];
    const first = await client.chat.completions.create({ model: "sim", messages, tools: [WEATHER_TOOL] });
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(first.choices[0]?.finish_reason).toBe("tool_calls");
    expect(call?.type).toBe("function");
    messages.push(first.choices[0]?.message as OpenAI.ChatCompletionMessageParam);
    messages.push({ role: "tool", tool_call_id: call?.id ?? "", content: "sunny" });
    const stream = await client.chat.completions.create({
      model: "sim",
      messages,
      tools: [WEATHER_TOOL],
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) usage = chunk.usage ?? usage;
    expect(usage?.completion_tokens).toBe(20);
    expect(usage?.prompt_tokens_details?.cached_tokens).toBeGreaterThan(0);
    await waitFor(() => endedRun("SDK weather, one round") !== undefined);
    expect(endedRun("SDK weather, one round")?.run.handles.size).toBe(1);
  });

  it("a stream without stream_options gets no usage chunk (the gateway's own request for usage is hidden)", async () => {
    const client = new OpenAI({ baseURL: fleet.gateway.baseURL, apiKey: "unused", maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: "sim",
      messages: [{ role: "user", content: "no usage please" }],
      max_tokens: 5,
      stream: true,
    });
    let usageChunks = 0;
    let emptyChoices = 0;
    for await (const chunk of stream) {
      if (chunk.usage) usageChunks++;
      if (chunk.choices.length === 0) emptyChoices++;
    }
    expect([usageChunks, emptyChoices]).toEqual([0, 0]);
  });

  it("/v1/models is the union of the replicas' models; /health lists the replicas", async () => {
    const client = new OpenAI({ baseURL: fleet.gateway.baseURL, apiKey: "unused", maxRetries: 0 });
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["meta-llama/Llama-3.1-8B-Instruct"]);
    const health = (await (await fetch(`${fleet.gateway.url}/health`)).json()) as { replicas: unknown[] };
    expect(health.replicas).toEqual([
      { index: 0, healthy: true },
      { index: 1, healthy: true },
    ]);
  });

  it("/metrics exposes per-replica queue, budget, load and the routing decisions", async () => {
    const text = await (await fetch(fleet.gateway.metricsUrl)).text();
    for (const name of [
      'augserve_gateway_queue_length{replica="1"}',
      'augserve_gateway_budget_tokens{replica="0"}',
      'augserve_gateway_load{replica="0"}',
      "augserve_gateway_routing_decisions_total{",
      "augserve_gateway_admissions_total{",
      "augserve_gateway_queue_wait_seconds_bucket{",
      "augserve_gateway_ttft_seconds_bucket{",
      'augserve_gateway_run_identity_total{source="continuity"}',
      'augserve_gateway_runs_total{outcome="ok"}',
    ])
      expect(text).toContain(name);
  });
});
