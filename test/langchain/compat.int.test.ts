/**
 * The compatibility matrix of issue 12: real `createAgent` agents with ChatOpenAI against the embedded
 * simulator (the mini server where the simulator lacks a feature: `response_format`), with LangChain's own
 * middleware around and inside `augserve()`. Every case checks the run count and each run's outcome, that
 * nothing is queued, in flight, parked or active afterwards (a real scheduler), and that the agent's output
 * equals the same agent's without the middleware.
 *
 * Two exits happen where no middleware hook runs (a `beforeModel` hook that ends or fails the run, as
 * `modelCallLimitMiddleware` does, and LangGraph's recursion limit): those runs stay parked, holding no
 * budget, until the sweep after `runIdleTimeoutMs` records them as abandoned; their cases say so.
 */
import { AIMessage, type BaseMessage, HumanMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { Command, MemorySaver } from "@langchain/langgraph";
import {
  type AgentMiddleware,
  createAgent,
  createMiddleware,
  humanInTheLoopMiddleware,
  modelCallLimitMiddleware,
  modelFallbackMiddleware,
  providerStrategy,
  summarizationMiddleware,
  toolErrorMiddleware,
  toolRetryMiddleware,
  toolStrategy,
} from "langchain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type AugServe, createScheduler } from "../../src/langchain/index.js";
import type { SchedulerApi } from "../../src/scheduler/types.js";
import { type SimServer, startSimServer } from "../../src/sim/index.js";
import { chat, expectRuns, freshAug, rejection, script, shape } from "./compat-harness.js";
import { type MiniOpenAI, startMiniOpenAI } from "./mini-openai.js";

const Weather = z.object({ city: z.string(), temperatureC: z.number() }).meta({ title: "weather_report" });
const weatherArgs = { city: "Lisbon", temperatureC: 21 };
const lookup = (name = "lookup", extra: { returnDirect?: boolean } = {}) =>
  tool(async ({ query }) => `result for ${query}`, {
    name,
    description: "Looks something up.",
    schema: z.object({ query: z.string() }),
    ...extra,
  });
const call = (name: string, query: string) => ({ name, arguments: { query } });

let sim: SimServer;
let mini: MiniOpenAI;
beforeAll(async () => {
  sim = await startSimServer({ timeScale: 100 });
  sim.registerScripts([
    script("structured weather", [[{ name: "weather_report", arguments: weatherArgs }]]),
    script("direct answer", [[call("direct", "a")]]),
    script("limit me", [[call("lookup", "a")], [call("lookup", "b")]]),
    script("flaky tools", [[call("flaky", "a")]]),
    script("long talk", [[call("lookup", "a")], [call("lookup", "b")], [call("lookup", "c")]], 20),
    script("ask a human", [[call("lookup", "a")]]),
    script("fall back", [[call("lookup", "a")]]),
    script(
      "loop forever",
      Array.from({ length: 10 }, (_, i) => [call("lookup", `q${i}`)]),
    ),
    script("abort me", [[call("slow", "a")]], 400),
    script("reflect", []),
    script("shared message", [[call("lookup", "a")]]),
    script("delegate twice", [[call("delegate", "first")], [call("delegate", "second")]]),
    script("first", [[call("lookup", "inner")]]),
    script("second", []),
  ]);
  mini = await startMiniOpenAI({ content: () => JSON.stringify(weatherArgs) });
});
afterAll(async () => {
  await sim.close();
  await mini.close();
});

/** What the cases read of an agent's result. */
interface AgentResult {
  messages: BaseMessage[];
  structuredResponse?: unknown;
  __interrupt__?: unknown;
}
interface Agent {
  invoke(input: unknown, config?: unknown): Promise<AgentResult>;
}
/** Runs `scenario` on the agent `make` builds, without and with the middleware (placed by `make`). */
async function both<T>(
  make: (augserve: AgentMiddleware[]) => unknown,
  scenario: (agent: Agent) => Promise<T>,
  options: Parameters<typeof freshAug>[0] = {},
  onScheduler?: (scheduler: SchedulerApi) => void,
): Promise<{ plain: T; scheduled: T; aug: AugServe; scheduler: SchedulerApi }> {
  const plain = await scenario(make([]) as Agent);
  const { aug, scheduler } = freshAug(options);
  onScheduler?.(scheduler);
  const scheduled = await scenario(make([aug.middleware()]) as Agent);
  return { plain, scheduled, aug, scheduler };
}
const ask = (content: string) => ({ messages: [{ role: "user", content }] });

describe("augserve() compatibility - structured output", () => {
  it("responseFormat: toolStrategy returns the same structured response, one ok run", async () => {
    const { plain, scheduled, aug, scheduler } = await both(
      (mw) =>
        createAgent({
          model: chat(sim.baseURL),
          tools: [lookup()],
          responseFormat: toolStrategy(Weather),
          middleware: mw,
        }),
      (agent) => agent.invoke(ask("structured weather")),
    );
    expect(scheduled.structuredResponse).toEqual(weatherArgs);
    expect(scheduled.structuredResponse).toEqual(plain.structuredResponse);
    expect(shape(scheduled.messages)).toEqual(shape(plain.messages));
    expectRuns(aug, scheduler, ["ok"]);
  });

  it("responseFormat: providerStrategy sends response_format and returns the same object", async () => {
    const sent = mini.bodies.length;
    const { plain, scheduled, aug, scheduler } = await both(
      (mw) =>
        createAgent({
          model: chat(mini.baseURL),
          tools: [],
          responseFormat: providerStrategy(Weather),
          middleware: mw,
        }),
      (agent) => agent.invoke(ask("provider weather")),
    );
    expect(scheduled.structuredResponse).toEqual(weatherArgs);
    expect(scheduled.structuredResponse).toEqual(plain.structuredResponse);
    expect(mini.bodies.slice(sent).map((b) => (b.response_format as { type?: string })?.type)).toEqual([
      "json_schema",
      "json_schema",
    ]);
    expectRuns(aug, scheduler, ["ok"]);
  });
});

describe("augserve() compatibility - how runs end", () => {
  it("a returnDirect tool ends the run ok when the tool returns", async () => {
    const { plain, scheduled, aug, scheduler } = await both(
      (mw) =>
        createAgent({
          model: chat(sim.baseURL),
          tools: [lookup("direct", { returnDirect: true })],
          middleware: mw,
        }),
      (agent) => agent.invoke(ask("direct answer")),
    );
    expect(scheduled.messages.at(-1)).toMatchObject({ name: "direct", content: "result for a" });
    expect(shape(scheduled.messages)).toEqual(shape(plain.messages));
    expectRuns(aug, scheduler, ["ok"]);
    expect(aug.records()[0]!.toolMs).toBeGreaterThan(0);
  });

  it("modelCallLimitMiddleware end: same answer; the run ends ok at the graph's end, nothing swept", async () => {
    const { plain, scheduled, aug, scheduler } = await both(
      (mw) =>
        createAgent({
          model: chat(sim.baseURL),
          tools: [lookup()],
          middleware: [modelCallLimitMiddleware({ runLimit: 1, exitBehavior: "end" }), ...mw],
        }),
      (agent) => agent.invoke(ask("limit me")),
      { runIdleTimeoutMs: 20 },
    );
    expect(shape(scheduled.messages)).toEqual(shape(plain.messages));
    expectRuns(aug, scheduler, ["ok"]);
    expect(aug.stats().sweptRuns).toBe(0);
  });

  it("modelCallLimitMiddleware error: the same error; the run ends as an error when the invocation fails", async () => {
    const { plain, scheduled, aug, scheduler } = await both(
      (mw) =>
        createAgent({
          model: chat(sim.baseURL),
          tools: [lookup()],
          middleware: [modelCallLimitMiddleware({ runLimit: 1, exitBehavior: "error" }), ...mw],
        }),
      (agent) => rejection(agent.invoke(ask("limit me"))),
      { runIdleTimeoutMs: 20 },
    );
    expect(scheduled.message).toBe(plain.message);
    expectRuns(aug, scheduler, ["error"]);
  });

  it("GraphRecursionError: the same error; the run ends as an error when the invocation fails", async () => {
    const { plain, scheduled, aug, scheduler } = await both(
      (mw) => createAgent({ model: chat(sim.baseURL), tools: [lookup()], middleware: mw }),
      (agent) => rejection(agent.invoke(ask("loop forever"), { recursionLimit: 5 })),
      { runIdleTimeoutMs: 20 },
    );
    expect(scheduled.name).toBe("GraphRecursionError");
    expect(scheduled.message).toBe(plain.message);
    expectRuns(aug, scheduler, ["error"]);
  });

  it("an afterModel hook that jumps back to the model: one invocation is one run", async () => {
    const reflect = () => {
      let jumped = 0;
      return createMiddleware({
        name: "reflect",
        afterModel: {
          canJumpTo: ["model"],
          hook: () => {
            if (jumped >= 2) return undefined;
            jumped += 1;
            return { messages: [new HumanMessage(`reflect ${jumped}`)], jumpTo: "model" as const };
          },
        },
      });
    };
    const { plain, scheduled, aug, scheduler } = await both(
      (mw) => createAgent({ model: chat(sim.baseURL), tools: [lookup()], middleware: [reflect(), ...mw] }),
      (agent) => agent.invoke(ask("reflect")),
    );
    expect(shape(scheduled.messages)).toEqual(shape(plain.messages));
    expect(scheduled.messages.filter((m) => m.getType() === "ai")).toHaveLength(3);
    expectRuns(aug, scheduler, ["ok"]);
    expect(aug.records()[0]!.outputTokens).toBeGreaterThan(0);
  });

  it("aborted in a model call: the run ends aborted, its call released", async () => {
    const { aug, scheduler } = freshAug();
    const agent = createAgent({
      model: chat(sim.baseURL),
      tools: [lookup("slow")],
      middleware: [aug.middleware()],
    });
    const controller = new AbortController();
    const error = await rejection(
      (async () => {
        for await (const _ of await agent.stream(ask("abort me"), {
          streamMode: "messages",
          signal: controller.signal,
        }))
          controller.abort();
      })(),
    );
    expect(error.name).toMatch(/Abort/);
    expectRuns(aug, scheduler, ["aborted"]);
  });

  it("aborted in a tool phase: the run ends aborted at once, not when a next call would start", async () => {
    let parked = -1;
    let scheduler: SchedulerApi | undefined;
    const { plain, scheduled, aug } = await both(
      (mw) => {
        const controller = new AbortController();
        const slow = tool(
          async () => {
            parked = scheduler?.snapshot().parkedRuns ?? -1;
            controller.abort();
            return "never seen";
          },
          { name: "slow", description: "Slow.", schema: z.object({ query: z.string() }) },
        );
        const agent = createAgent({ model: chat(sim.baseURL), tools: [slow], middleware: mw });
        return { invoke: (input: unknown) => agent.invoke(input as never, { signal: controller.signal }) };
      },
      (agent) => rejection(agent.invoke(ask("abort me"))),
      {},
      (s) => {
        scheduler = s;
      },
    );
    expect(scheduled.name).toBe(plain.name);
    expect(parked).toBe(1);
    expectRuns(aug, scheduler!, ["aborted"]);
  });
});

describe("augserve() compatibility - LangChain's tool middleware, in both orders", () => {
  const flaky = (failures: number) => {
    let runs = 0;
    const counted = tool(
      async ({ query }) => {
        runs += 1;
        if (runs <= failures) throw new Error(`flaky failure ${runs}`);
        return `ok ${query}`;
      },
      { name: "flaky", description: "Fails at first.", schema: z.object({ query: z.string() }) },
    );
    return { counted, runs: () => runs };
  };

  for (const order of ["outside", "inside"] as const) {
    it(`toolRetryMiddleware ${order} augserve(): the tool runs maxRetries + 1 times, as without it`, async () => {
      const tools = { plain: flaky(2), scheduled: flaky(2) };
      let which: "plain" | "scheduled" = "plain";
      const { plain, scheduled, aug, scheduler } = await both(
        (mw) => {
          which = mw.length === 0 ? "plain" : "scheduled";
          const retry = toolRetryMiddleware({ maxRetries: 2, initialDelayMs: 1, jitter: false });
          return createAgent({
            model: chat(sim.baseURL),
            tools: [tools[which].counted],
            middleware: order === "outside" ? [retry, ...mw] : [...mw, retry],
          });
        },
        (agent) => agent.invoke(ask("flaky tools")),
      );
      expect(tools.plain.runs()).toBe(3);
      expect(tools.scheduled.runs()).toBe(3);
      expect(shape(scheduled.messages)).toEqual(shape(plain.messages));
      expectRuns(aug, scheduler, ["ok"]);
    });

    it(`toolErrorMiddleware ${order} augserve(): its own message reaches the model, as without it`, async () => {
      const { plain, scheduled, aug, scheduler } = await both(
        (mw) => {
          const errors = toolErrorMiddleware({ onError: (error) => `custom: ${(error as Error).message}` });
          return createAgent({
            model: chat(sim.baseURL),
            tools: [flaky(5).counted],
            middleware: order === "outside" ? [errors, ...mw] : [...mw, errors],
          });
        },
        (agent) => agent.invoke(ask("flaky tools")),
      );
      const toolMessage = scheduled.messages.find((m) => m.getType() === "tool");
      expect(toolMessage).toMatchObject({ content: "custom: flaky failure 1", status: "error" });
      expect(shape(scheduled.messages)).toEqual(shape(plain.messages));
      expectRuns(aug, scheduler, ["ok"]);
    });
  }
});

describe("augserve() compatibility - middleware that rewrite or pause the conversation", () => {
  it("summarizationMiddleware that drops the user's message: still one run per invocation", async () => {
    const { plain, scheduled, aug, scheduler } = await both(
      (mw) =>
        createAgent({
          model: chat(sim.baseURL),
          tools: [lookup()],
          middleware: [
            // A fake summariser: the simulator's text would depend on the tool-call ids in what it summarises.
            summarizationMiddleware({
              model: new FakeListChatModel({ responses: ["Summary: three lookups so far."] }),
              trigger: { messages: 4 },
              keep: { messages: 2 },
            }),
            ...mw,
          ],
        }),
      (agent) => agent.invoke(ask("long talk")),
    );
    expect(shape(scheduled.messages)).toEqual(shape(plain.messages));
    expect(scheduled.messages.some((m) => m.content === "long talk")).toBe(false);
    expectRuns(aug, scheduler, ["ok"]);
    expect(aug.records()[0]!.toolMs).toBeGreaterThan(0);
  });

  let hitlScheduler: SchedulerApi | undefined;
  it("humanInTheLoopMiddleware: interrupt, then resume, is one run; nothing tracked while the human decides", async () => {
    const { plain, scheduled, aug, scheduler } = await both(
      (mw) =>
        createAgent({
          model: chat(sim.baseURL),
          tools: [lookup()],
          checkpointer: new MemorySaver(),
          middleware: [
            ...mw,
            humanInTheLoopMiddleware({ interruptOn: { lookup: true } }),
          ] as AgentMiddleware[],
        }),
      async (agent) => {
        const config = { configurable: { thread_id: "hitl-1" } };
        const first = await agent.invoke(ask("ask a human"), config);
        const waiting = first.__interrupt__ !== undefined;
        if (hitlScheduler !== undefined)
          expect(hitlScheduler.snapshot()).toMatchObject({ activeRuns: 0, parkedRuns: 0, inFlightTokens: 0 });
        const second = await agent.invoke(
          new Command({ resume: { decisions: [{ type: "approve" }] } }),
          config,
        );
        return { waiting, messages: second.messages };
      },
      {},
      (s) => {
        hitlScheduler = s;
      },
    );
    expect(scheduled.waiting).toBe(true);
    expect(plain.waiting).toBe(true);
    expect(shape(scheduled.messages)).toEqual(shape(plain.messages));
    expectRuns(aug, scheduler, ["ok"]);
    expect(aug.records()[0]!.toolMs).toBeGreaterThan(0);
  });

  it("humanInTheLoopMiddleware: an interrupt ends the run for now (recorded abandoned, apart from errors)", async () => {
    const { aug, scheduler } = freshAug();
    const agent = createAgent({
      model: chat(sim.baseURL),
      tools: [lookup()],
      checkpointer: new MemorySaver(),
      middleware: [aug.middleware(), humanInTheLoopMiddleware({ interruptOn: { lookup: true } })],
    });
    const result = await agent.invoke(ask("ask a human"), { configurable: { thread_id: "hitl-2" } });
    expect(result.__interrupt__).toBeDefined();
    expectRuns(aug, scheduler, ["abandoned"]);
    expect(aug.stats()).toEqual({ activeRuns: 0, parkedRuns: 0, sweptRuns: 0 });
    const report = aug.report().arms.treatment;
    expect({ abandoned: report.abandoned, failed: report.failed, completed: report.completed }).toEqual({
      abandoned: 1,
      failed: 0,
      completed: 0,
    });
  });

  it("modelFallbackMiddleware outside augserve(): the failed attempt and the fallback are one ok run", async () => {
    const dead = chat("http://127.0.0.1:9/v1");
    const { plain, scheduled, aug, scheduler } = await both(
      (mw) =>
        createAgent({
          model: dead,
          tools: [lookup()],
          middleware: [modelFallbackMiddleware(chat(sim.baseURL)), ...mw],
        }),
      (agent) => agent.invoke(ask("fall back")),
    );
    expect(shape(scheduled.messages)).toEqual(shape(plain.messages));
    expectRuns(aug, scheduler, ["ok"]);
    // Each of the two model calls tried the dead model first.
    expect(scheduler.snapshot().counters).toMatchObject({ failed: 2, completed: 2 });
  });
});

describe("augserve() compatibility - many invocations", () => {
  it("eight concurrent invokes sharing one HumanMessage object are eight runs", async () => {
    const shared = new HumanMessage("shared message");
    const { plain, scheduled, aug, scheduler } = await both(
      (mw) => createAgent({ model: chat(sim.baseURL), tools: [lookup()], middleware: mw }),
      (agent) => Promise.all(Array.from({ length: 8 }, () => agent.invoke({ messages: [shared] }))),
    );
    expect(scheduled.map((r) => shape(r.messages))).toEqual(plain.map((r) => shape(r.messages)));
    expectRuns(aug, scheduler, Array(8).fill("ok"));
  });

  it("a multi-turn thread with a checkpointer: one run per turn", async () => {
    const { plain, scheduled, aug, scheduler } = await both(
      (mw) =>
        createAgent({
          model: chat(sim.baseURL),
          tools: [lookup()],
          checkpointer: new MemorySaver(),
          middleware: mw,
        }),
      async (agent) => {
        const config = { configurable: { thread_id: "turns" } };
        await agent.invoke(ask("shared message"), config);
        await agent.invoke(ask("and then?"), config);
        return agent.invoke(ask("thanks"), config);
      },
    );
    expect(shape(scheduled.messages)).toEqual(shape(plain.messages));
    expect(scheduled.messages.filter((m) => m.getType() === "human")).toHaveLength(3);
    expectRuns(aug, scheduler, ["ok", "ok", "ok"]);
  });
});

describe("augserve() compatibility - a subagent inside a tool", () => {
  it("the subagent's invocations are runs of their own; the parent stays parked while they run", async () => {
    let parkedDuringInner = -1;
    let scheduler: SchedulerApi | undefined;
    const { plain, scheduled, aug } = await both(
      (mw) => {
        const inner = createAgent({ model: chat(sim.baseURL), tools: [lookup()], middleware: mw });
        const delegate = tool(
          async ({ query }) => {
            parkedDuringInner = scheduler?.snapshot().parkedRuns ?? -1;
            const result = await inner.invoke(ask(query));
            return String(result.messages.at(-1)?.content);
          },
          { name: "delegate", description: "Asks a subagent.", schema: z.object({ query: z.string() }) },
        );
        return createAgent({ model: chat(sim.baseURL), tools: [delegate], middleware: mw });
      },
      (agent) => agent.invoke(ask("delegate twice")),
      {},
      (s) => {
        scheduler = s;
      },
    );
    expect(shape(scheduled.messages)).toEqual(shape(plain.messages));
    expect(parkedDuringInner).toBe(1);
    expectRuns(aug, scheduler!, ["ok", "ok", "ok"]);
  });
});

describe("augserve() compatibility - the same AugServe entered twice", () => {
  it("withAugServe() as the agent's model and its middleware: one admission per call, no deadlock, one warning", async () => {
    const warnings: string[] = [];
    const { aug, scheduler } = freshAug({
      scheduler: createScheduler({ policy: "augserve", budget: { mode: "fixed", tokens: 1 } }),
      logger: { warn: (message) => warnings.push(message) },
    });
    const agent = createAgent({
      model: aug.wrap(chat(sim.baseURL)),
      tools: [lookup()],
      middleware: [aug.middleware()],
    });
    const admitted: string[] = [];
    scheduler.on("admitted", ({ runId }) => admitted.push(runId));
    const results = await Promise.all([
      agent.invoke(ask("shared message")),
      agent.invoke(ask("shared message")),
    ]);
    expect(results.map((r) => r.messages.at(-1))).toEqual([expect.any(AIMessage), expect.any(AIMessage)]);
    expect(admitted).toHaveLength(4);
    expect(new Set(admitted).size).toBe(2);
    expect(warnings).toEqual([expect.stringMatching(/bypassed/)]);
    expectRuns(aug, scheduler, ["ok", "ok"]);
  });
});
