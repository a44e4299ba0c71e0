/**
 * augserve() middleware with createAgent. The model is `ScriptedToolModel` and the scheduler
 * `FifoTestScheduler` (test doubles, see helpers.ts): these tests pin the middleware's side of the
 * scheduler contract; the HTTP tests against the simulator live in langchain-sim.int.test.ts.
 */
import { tool } from "@langchain/core/tools";
import { createAgent } from "langchain";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AugServeOptionsError, augserve, createAugServe } from "../../src/langchain/index.js";
import { waitFor } from "../support/wait.js";
import { FifoTestScheduler, ScriptedToolModel, sleep } from "./helpers.js";

function lookupTool(opts: { delayMs?: number; fail?: boolean; onRun?: () => void } = {}) {
  return tool(
    async ({ query }) => {
      opts.onRun?.();
      if (opts.delayMs) await sleep(opts.delayMs);
      if (opts.fail) throw new Error(`lookup failed for ${query}`);
      return `result for ${query}`;
    },
    { name: "lookup", description: "Looks something up.", schema: z.object({ query: z.string() }) },
  );
}

const plainText = (messages: { getType(): string; content: unknown; tool_calls?: unknown }[]) =>
  messages.map((m) => ({ type: m.getType(), content: m.content, tool_calls: m.tool_calls ?? [] }));

describe("augserve() - Validation", () => {
  it("rejects bad options with AugServeOptionsError naming the field and the value", () => {
    const scheduler = new FifoTestScheduler();
    try {
      augserve({ scheduler, abTest: { fraction: 2 } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AugServeOptionsError);
      expect((error as AugServeOptionsError).issues[0]).toMatch(/abTest\.fraction: .*got `2` \(number\)/);
      expect((error as Error).cause).toBeDefined();
    }
  });

  it("rejects a scheduler that does not implement SchedulerApi", () => {
    expect(() => augserve({ scheduler: {} as never })).toThrow(AugServeOptionsError);
  });
});

describe("augserve() - Basic functionality", () => {
  it("completes multi-round tool runs and leaves the message history unchanged", async () => {
    const scheduler = new FifoTestScheduler();
    const input = { messages: [{ role: "user", content: "rounds=2 parallel=1 what is up?" }] };
    const plain = await createAgent({ model: new ScriptedToolModel(), tools: [lookupTool()] }).invoke(input);
    const withMw = await createAgent({
      model: new ScriptedToolModel(),
      tools: [lookupTool()],
      middleware: [augserve({ scheduler, registry: null })],
    }).invoke(input);
    expect(plainText(withMw.messages)).toEqual(plainText(plain.messages));
    expect(withMw.messages).toHaveLength(6);
    expect(Object.keys(withMw)).not.toContain("_augserveRunId");
    expect(scheduler.inFlightTokens).toBe(0);
    expect([...scheduler.ended.values()]).toEqual(["ok"]);
  });

  it("streams the same message chunks with the middleware, and measures the first token", async () => {
    const scheduler = new FifoTestScheduler();
    const aug = createAugServe({ scheduler, registry: null });
    const input = { messages: [{ role: "user", content: "rounds=1 parallel=1 stream it" }] };
    const collect = async (middleware: ReturnType<typeof aug.middleware>[]) => {
      const agent = createAgent({
        model: new ScriptedToolModel({ delayMs: 5 }),
        tools: [lookupTool()],
        middleware,
      });
      const texts: string[] = [];
      for await (const [chunk] of await agent.stream(input, { streamMode: "messages" }))
        texts.push(String(chunk.content));
      return texts;
    };
    const plain = await collect([]);
    expect(await collect([aug.middleware()])).toEqual(plain);
    const [record] = aug.records();
    expect(record?.ttftMs).toBeGreaterThan(0);
    expect(record!.ttftMs!).toBeLessThan(record!.e2eMs);
    expect(scheduler.inFlightTokens).toBe(0);
  });

  it("parks once for parallel tool calls and holds no budget while tools run", async () => {
    const scheduler = new FifoTestScheduler();
    const seen: number[] = [];
    const agent = createAgent({
      model: new ScriptedToolModel(),
      tools: [lookupTool({ delayMs: 20, onRun: () => seen.push(scheduler.inFlightTokens) })],
      middleware: [augserve({ scheduler, registry: null })],
    });
    await agent.invoke({ messages: [{ role: "user", content: "rounds=2 parallel=3 go" }] });
    expect(seen).toHaveLength(6);
    expect(seen.every((tokens) => tokens === 0)).toBe(true);
    expect(scheduler.parks).toBe(2);
    expect(scheduler.unparks).toBe(2);
    expect(scheduler.parked.size).toBe(0);
  });

  it("a throwing tool behaves as without augserve() (issue 22): LangChain's error ToolMessage, the agent goes on", async () => {
    const scheduler = new FifoTestScheduler();
    const aug = createAugServe({ scheduler, registry: null });
    const input = { messages: [{ role: "user", content: "rounds=1 parallel=1 go" }] };
    const result = await createAgent({
      model: new ScriptedToolModel(),
      tools: [lookupTool({ fail: true })],
      middleware: [aug.middleware()],
    }).invoke(input);
    const plain = await createAgent({
      model: new ScriptedToolModel(),
      tools: [lookupTool({ fail: true })],
    }).invoke(input);
    expect(plainText(result.messages)).toEqual(plainText(plain.messages));
    expect(result.messages.find((m) => m.getType() === "tool")).toMatchObject({ status: "error" });
    expect(scheduler.parks).toBe(1);
    expect(scheduler.unparks).toBe(1);
    expect(scheduler.inFlightTokens).toBe(0);
    expect([...scheduler.ended.values()]).toEqual(["ok"]);
    expect(aug.stats()).toEqual({ activeRuns: 0, parkedRuns: 0, sweptRuns: 0 });
  });

  it('toolErrors: "throw" (opt-in): the exception propagates (LangChain makes it fatal) and the run ends as an error', async () => {
    const scheduler = new FifoTestScheduler();
    const aug = createAugServe({ scheduler, registry: null, toolErrors: "throw" });
    const agent = createAgent({
      model: new ScriptedToolModel(),
      tools: [lookupTool({ fail: true })],
      middleware: [aug.middleware()],
    });
    const error = await agent
      .invoke({ messages: [{ role: "user", content: "rounds=1 parallel=1 go" }] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(String(error)).toMatch(/lookup failed/);
    expect(scheduler.inFlightTokens).toBe(0);
    expect([...scheduler.ended.values()]).toEqual(["error"]);
    expect(aug.stats()).toMatchObject({ activeRuns: 0, parkedRuns: 0 });
  });

  it('toolErrors: "message" (opt-in) turns a tool exception into the ToolMessage an agent without middleware makes', async () => {
    const scheduler = new FifoTestScheduler();
    const agent = createAgent({
      model: new ScriptedToolModel(),
      tools: [lookupTool({ fail: true })],
      middleware: [augserve({ scheduler, registry: null, toolErrors: "message" })],
    });
    const input = { messages: [{ role: "user", content: "rounds=1 parallel=2 go" }] };
    const result = await agent.invoke(input);
    const plain = await createAgent({
      model: new ScriptedToolModel(),
      tools: [lookupTool({ fail: true })],
    }).invoke(input);
    expect(plainText(result.messages)).toEqual(plainText(plain.messages));
    expect(result.messages.filter((m) => m.getType() === "tool")).toHaveLength(2);
    expect(scheduler.parks).toBe(1);
    expect(scheduler.unparks).toBe(1);
    expect([...scheduler.ended.values()]).toEqual(["ok"]);
  });

  it("a model error releases the budget and ends the run as an error", async () => {
    const scheduler = new FifoTestScheduler();
    const agent = createAgent({
      model: new ScriptedToolModel({ error: new Error("server exploded") }),
      tools: [lookupTool()],
      middleware: [augserve({ scheduler, registry: null })],
    });
    await expect(agent.invoke({ messages: [{ role: "user", content: "rounds=1 go" }] })).rejects.toThrow(
      /server exploded/,
    );
    expect(scheduler.inFlightTokens).toBe(0);
    expect([...scheduler.ended.values()]).toEqual(["error"]);
  });

  it("an aborted run releases the budget of its running call", async () => {
    const scheduler = new FifoTestScheduler();
    const agent = createAgent({
      model: new ScriptedToolModel({ delayMs: 2_000 }),
      tools: [lookupTool()],
      middleware: [augserve({ scheduler, registry: null })],
    });
    const controller = new AbortController();
    const running = agent.invoke(
      { messages: [{ role: "user", content: "rounds=1 go" }] },
      { signal: controller.signal },
    );
    // The first call is admitted and running (its model answers only after 2 s).
    await waitFor(() => scheduler.inFlightTokens > 0, 20_000);
    controller.abort();
    await expect(running).rejects.toThrow();
    expect(scheduler.inFlightTokens).toBe(0);
    expect([...scheduler.ended.values()]).toEqual(["aborted"]);
  });

  it("a call over callTimeoutMs releases its budget and throws AugServeTimeoutError", async () => {
    const scheduler = new FifoTestScheduler();
    const agent = createAgent({
      model: new ScriptedToolModel({ delayMs: 2_000 }),
      tools: [lookupTool()],
      middleware: [augserve({ scheduler, registry: null, callTimeoutMs: 50 })],
    });
    await expect(agent.invoke({ messages: [{ role: "user", content: "rounds=1 go" }] })).rejects.toThrow(
      /callTimeoutMs=50/,
    );
    expect(scheduler.inFlightTokens).toBe(0);
  });

  it("admits in the scheduler's order under contention (tiny budget)", async () => {
    const scheduler = new FifoTestScheduler(1);
    const aug = createAugServe({ scheduler, registry: null });
    const agent = createAgent({
      model: new ScriptedToolModel({ delayMs: 2 }),
      tools: [lookupTool()],
      middleware: [aug.middleware()],
    });
    let maxInFlight = 0;
    const timer = setInterval(() => {
      maxInFlight = Math.max(maxInFlight, scheduler.inFlightCalls);
    }, 1);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        agent.invoke({ messages: [{ role: "user", content: `rounds=1 #${i}` }] }),
      ),
    );
    clearInterval(timer);
    expect(maxInFlight).toBe(1);
    expect(scheduler.admittedOrder).toHaveLength(40);
    expect(scheduler.inFlightTokens).toBe(0);
    expect(aug.report().arms.treatment.completed).toBe(20);
  });

  it("records metrics on the registry it is given", async () => {
    const scheduler = new FifoTestScheduler();
    const registry = new Registry();
    const agent = createAgent({
      model: new ScriptedToolModel(),
      tools: [lookupTool()],
      middleware: [augserve({ scheduler, registry })],
    });
    await agent.invoke({ messages: [{ role: "user", content: "rounds=1 go" }] });
    const text = await registry.metrics();
    expect(text).toMatch(/augserve_admissions_total\{policy="fcfs",arm="treatment"\} 2/);
    expect(text).toMatch(/augserve_slo_total\{policy="fcfs",arm="treatment",result="(met|missed)"\} 1/);
    expect(text).toMatch(/augserve_budget_tokens\{policy="fcfs"\} 1000000/);
    expect(text).toContain("augserve_ttft_seconds_bucket");
    expect(text).toContain("augserve_norm_latency_ms_per_token_bucket");
  });
});

describe("augserve() - A/B", () => {
  it("assigns arms deterministically and stickily by thread id, and reports both arms", async () => {
    const scheduler = new FifoTestScheduler();
    const aug = createAugServe({ scheduler, registry: null, abTest: { fraction: 0.5, seed: 3 } });
    const agent = createAgent({
      model: new ScriptedToolModel(),
      tools: [lookupTool()],
      middleware: [aug.middleware()],
    });
    const arms = Array.from({ length: 40 }, (_, i) => aug.assignArm(`r${i}`, `thread-${i % 10}`));
    expect(arms.slice(0, 10)).toEqual(arms.slice(10, 20));
    const again = createAugServe({ scheduler, registry: null, abTest: { fraction: 0.5, seed: 3 } });
    expect(Array.from({ length: 40 }, (_, i) => again.assignArm(`x${i}`, `thread-${i % 10}`))).toEqual(arms);
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        agent.invoke(
          { messages: [{ role: "user", content: "rounds=1 go" }] },
          { configurable: { thread_id: `user-${i}` } },
        ),
      ),
    );
    const report = aug.report();
    expect(report.mode).toBe("ab");
    expect(report.arms.control.treatment).toBe("plain");
    expect(report.arms.treatment.treatment).toBe("scheduled");
    expect(report.arms.control.runs + report.arms.treatment.runs).toBe(30);
    expect(report.arms.control.runs).toBeGreaterThan(0);
    expect(report.arms.treatment.runs).toBeGreaterThan(0);
    expect(report.comparison.ttftMs.diffCi.low).toBeLessThanOrEqual(report.comparison.ttftMs.diffCi.high);
    expect(report.comparison.ttftMs.exceedsNoiseFloor).toBeNull();
    // Only the scheduled arm went through the scheduler.
    expect(scheduler.ended.size).toBe(report.arms.treatment.runs);
  });

  it("A/A mode reports a noise floor, and an A/B run compares against it", async () => {
    const scheduler = new FifoTestScheduler();
    const aa = createAugServe({ scheduler, registry: null, abTest: { mode: "aa-plain" } });
    const agent = createAgent({
      model: new ScriptedToolModel(),
      tools: [lookupTool()],
      middleware: [aa.middleware()],
    });
    await Promise.all(
      Array.from({ length: 20 }, () =>
        agent.invoke({ messages: [{ role: "user", content: "rounds=1 go" }] }),
      ),
    );
    const report = aa.report();
    expect(report.arms.control.treatment).toBe("plain");
    expect(report.arms.treatment.treatment).toBe("plain");
    expect(scheduler.ended.size).toBe(0);
    expect(report.noiseFloor).not.toBeNull();
    const floor = report.noiseFloor!;
    const ab = createAugServe({ scheduler, registry: null, abTest: { noiseFloor: floor } });
    expect(ab.report().comparison.e2eMs.noiseFloor).toBe(floor.e2eMs);
  });
});
