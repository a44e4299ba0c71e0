/**
 * The HTTP contract every OpenAI-compatible backend of AugServe.js meets (the simulator now, real engines
 * later): real clients (the openai SDK, LangChain's ChatOpenAI) over real HTTP on 127.0.0.1.
 */
import { ChatOpenAI } from "@langchain/openai";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConversationScript } from "../../src/script/types.js";

export interface ContractServer {
  baseURL: string;
  metricsUrl: string;
  /** Backends that follow scripts get the tool-call cases; others skip them. */
  registerScripts?: (scripts: ConversationScript[]) => void;
  /**
   * Names of the running-requests gauge and the KV-use gauge in /metrics (servers export their own engine's
   * names). @default vLLM's: `vllm:num_requests_running`, `vllm:kv_cache_usage_perc`
   */
  metricNames?: { running: string; kvUsage: string };
  close(): Promise<void>;
}

const WEATHER_TOOL = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather of a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

const SCRIPT: ConversationScript = {
  firstUserMessage: "contract: what is the weather in Paris and Rome?",
  rounds: [
    {
      outputTokens: 5,
      toolCalls: [
        { name: "get_weather", arguments: { city: "Paris" } },
        { name: "get_weather", arguments: { city: "Rome" } },
      ],
    },
  ],
  finalOutputTokens: 12,
};

/** A long answer, so that the stream is still running when the client aborts it. */
const LONG: ConversationScript = {
  firstUserMessage: "contract: a very long answer please",
  rounds: [],
  finalOutputTokens: 50_000,
};

/** Reads a Prometheus gauge/counter value (first sample of that name). */
export async function readMetric(metricsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`metric ${name} not found`);
  return Number(line.slice(line.lastIndexOf(" ") + 1));
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function runOpenAIServerContract(name: string, start: () => Promise<ContractServer>): void {
  describe(`OpenAI server contract: ${name}`, () => {
    let server: ContractServer;
    let client: OpenAI;
    let names: { running: string; kvUsage: string };
    beforeAll(async () => {
      server = await start();
      names = server.metricNames ?? {
        running: "vllm:num_requests_running",
        kvUsage: "vllm:kv_cache_usage_perc",
      };
      server.registerScripts?.([SCRIPT, LONG]);
      client = new OpenAI({ baseURL: server.baseURL, apiKey: "dummy", maxRetries: 0 });
    });
    afterAll(async () => {
      await server?.close();
    });

    it("openai SDK - streams text and reports usage", async () => {
      const stream = await client.chat.completions.create({
        model: "any",
        messages: [{ role: "user", content: "Say something." }],
        max_tokens: 20,
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = "";
      let finish: string | null = null;
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? "";
        finish = chunk.choices[0]?.finish_reason ?? finish;
        usage = chunk.usage ?? usage;
      }
      expect(text.length).toBeGreaterThan(0);
      expect(finish).toBe("length");
      expect(usage?.completion_tokens).toBe(20);
      expect(usage?.prompt_tokens).toBeGreaterThan(0);
      expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + 20);
    });

    it("openai SDK - non-streaming completion with usage and a unique id", async () => {
      const ask = () =>
        client.chat.completions.create({
          model: "any",
          messages: [{ role: "user", content: "Hello there" }],
        });
      const [a, b] = await Promise.all([ask(), ask()]);
      expect(a.id).not.toBe(b.id);
      expect(a.choices[0]?.message.content?.length).toBeGreaterThan(0);
      expect(a.choices[0]?.finish_reason).toBe("stop");
      expect(a.usage?.prompt_tokens_details?.cached_tokens).toBeTypeOf("number");
    });

    it("openai SDK - streams tool calls whose arguments parse", async (ctx) => {
      if (server.registerScripts === undefined) ctx.skip();
      const stream = await client.chat.completions.create({
        model: "any",
        messages: [{ role: "user", content: SCRIPT.firstUserMessage }],
        tools: [WEATHER_TOOL],
        stream: true,
      });
      const calls: { id?: string; name?: string; args: string }[] = [];
      let finish: string | null = null;
      for await (const chunk of stream) {
        for (const d of chunk.choices[0]?.delta.tool_calls ?? []) {
          calls[d.index] ??= { args: "" };
          const call = calls[d.index] as { id?: string; name?: string; args: string };
          call.id ??= d.id;
          call.name ??= d.function?.name;
          call.args += d.function?.arguments ?? "";
        }
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      expect(finish).toBe("tool_calls");
      expect(calls.map((c) => c.name)).toEqual(["get_weather", "get_weather"]);
      expect(calls.map((c) => JSON.parse(c.args))).toEqual([{ city: "Paris" }, { city: "Rome" }]);
      expect(calls.every((c) => typeof c.id === "string")).toBe(true);
    });

    it("LangChain ChatOpenAI - bindTools returns tool calls, then the final answer streams", async (ctx) => {
      if (server.registerScripts === undefined) ctx.skip();
      const model = new ChatOpenAI({
        model: "any",
        apiKey: "dummy",
        configuration: { baseURL: server.baseURL },
        maxRetries: 0,
      }).bindTools([WEATHER_TOOL]);
      const first = await model.invoke([{ role: "user", content: SCRIPT.firstUserMessage }]);
      expect(first.tool_calls?.map((c) => c.args)).toEqual([{ city: "Paris" }, { city: "Rome" }]);
      const followUp = [
        { role: "user", content: SCRIPT.firstUserMessage },
        first,
        ...(first.tool_calls ?? []).map((c) => ({
          role: "tool",
          content: "sunny",
          tool_call_id: c.id ?? "",
        })),
      ];
      let text = "";
      for await (const chunk of await model.stream(followUp)) text += chunk.content as string;
      expect(text.length).toBeGreaterThan(0);
    });

    it("an aborted stream frees its sequence (running 0, KV usage 0 in /metrics)", async () => {
      const abort = new AbortController();
      const stream = await client.chat.completions.create(
        {
          model: "any",
          messages: [{ role: "user", content: LONG.firstUserMessage }],
          max_tokens: 50_000,
          stream: true,
        },
        { signal: abort.signal },
      );
      let seen = 0;
      let runningMidStream = -1;
      try {
        for await (const _ of stream) {
          if (++seen === 3) {
            runningMidStream = await readMetric(server.metricsUrl, names.running);
            abort.abort();
          }
        }
      } catch {
        // The SDK may end the iteration or throw an abort error: either is an abort.
      }
      expect(runningMidStream).toBe(1);
      await waitFor(async () => (await readMetric(server.metricsUrl, names.running)) === 0);
      expect(await readMetric(server.metricsUrl, names.kvUsage)).toBe(0);
    });

    it("200 concurrent streams complete without error", async () => {
      const one = async (i: number) => {
        const stream = await client.chat.completions.create({
          model: "any",
          messages: [{ role: "user", content: `Concurrent request ${i}` }],
          max_tokens: 16,
          stream: true,
        });
        let n = 0;
        for await (const chunk of stream) if (chunk.choices[0]?.delta.content) n++;
        return n;
      };
      const counts = await Promise.all(Array.from({ length: 200 }, (_, i) => one(i)));
      expect(counts.every((n) => n > 0)).toBe(true);
      expect(await readMetric(server.metricsUrl, names.running)).toBe(0);
    });

    it("bad requests get 400 with an OpenAI-style JSON error", async () => {
      const post = async (body: string) => {
        const res = await fetch(`${server.baseURL}/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        return {
          status: res.status,
          json: (await res.json()) as { error: { type: string; message: string } },
        };
      };
      const cases = [
        "{not json",
        JSON.stringify({ model: "x" }),
        JSON.stringify({ messages: "hello" }),
        JSON.stringify({ messages: [{ role: "user", content: "hi" }], max_tokens: 0 }),
        JSON.stringify({ messages: [{ role: "user", content: "hi" }], max_tokens: 10_000_000 }),
        JSON.stringify({ messages: [{ role: "user", content: "hi" }], stream: "yes" }),
        JSON.stringify({ messages: [{ role: "user", content: "x".repeat(5 * 1024 * 1024) }] }),
      ];
      for (const body of cases) {
        const { status, json } = await post(body);
        expect(status).toBe(400);
        expect(json.error.type).toBe("invalid_request_error");
        expect(json.error.message.length).toBeGreaterThan(0);
      }
      // The server still serves.
      const ok = await client.chat.completions.create({
        model: "any",
        messages: [{ role: "user", content: "hi" }],
      });
      expect(ok.choices[0]?.finish_reason).toBe("stop");
    });

    it("issue 14 defect 1: deeply nested tool parameters get 400 json_too_deep; the server stays up", async () => {
      // ~10 KB: 5,000 levels overflowed JSON.stringify(tools) inside the body's "end" listener and killed
      // the process before the depth limit.
      const depth = 5_000;
      const nested = `${"[".repeat(depth)}${"]".repeat(depth)}`;
      const body = `{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"x":${nested}}}}]}`;
      const res = await fetch(`${server.baseURL}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      expect(res.status).toBe(400);
      const json = (await res.json()) as { error: { code: string; message: string } };
      expect(json.error.code).toBe("json_too_deep");
      expect(json.error.message).toMatch(/at most 64 levels/);
      const ok = await client.chat.completions.create({
        model: "any",
        messages: [{ role: "user", content: "hi" }],
      });
      expect(ok.choices[0]?.finish_reason).toBe("stop");
    });

    it("a prompt longer than the model length gets 400 context_length_exceeded on messages", async () => {
      const res = await fetch(`${server.baseURL}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ messages: [{ role: "user", content: "! ".repeat(200_000) }] }),
      });
      expect(res.status).toBe(400);
      const json = (await res.json()) as { error: { code: string; param: string } };
      expect(json.error).toMatchObject({ code: "context_length_exceeded", param: "messages" });
    });

    it("nesting within the limit, and fields the server does not know, are accepted", async () => {
      let schema: Record<string, unknown> = { type: "string" };
      for (let i = 0; i < 25; i++) schema = { type: "object", properties: { [`p${i}`]: schema } };
      const body = {
        model: "any",
        messages: [{ role: "user", content: "hi", extra_field: { kept: [1, 2] } }],
        tools: [{ type: "function", function: { name: "deep", parameters: schema, strict: true } }],
        response_format: { type: "text" },
        logit_bias: { "42": -100 },
        max_tokens: 4,
        seed: 7,
      };
      const res = await fetch(`${server.baseURL}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
      const json = (await res.json()) as { choices: { finish_reason: string }[] };
      expect(json.choices[0]?.finish_reason).toBe("length");
    });

    it("GET /v1/models and /health answer", async () => {
      const models = await client.models.list();
      expect(models.data.length).toBeGreaterThan(0);
      expect((await fetch(server.baseURL.replace(/\/v1$/, "/health"))).status).toBe(200);
    });
  });
}
