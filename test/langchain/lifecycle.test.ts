/**
 * The middleware's run lifecycle, per-invocation settings, errors at the agent level and shutdown, with
 * `createAgent` and `ScriptedToolModel`. The scheduler is `FifoTestScheduler` (a recording test double, see
 * helpers.ts): the real scheduler does not yet honour `priorityClass` / `tenant` (feat/overload adds it), so
 * these tests check what the middleware hands to `beginRun`, and the end-to-end ordering is tested after merging.
 */
import { tool } from "@langchain/core/tools";
import { createAgent, createMiddleware, MiddlewareError } from "langchain";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  AugServeDrainingError,
  AugServeOverloadedError,
  AugServeTimeoutError,
  augserve,
  augserveMiddleware,
  createAugServe,
  findAugServeError,
  findError,
} from "../../src/langchain/index.js";
import { type InvocationView, readInvocation } from "../../src/langchain/invocation.js";
import { FifoTestScheduler, ScriptedToolModel, sleep } from "./helpers.js";

const lookup = (delayMs = 0) =>
  tool(
    async ({ query }) => {
      if (delayMs) await sleep(delayMs);
      return `result for ${query}`;
    },
    { name: "lookup", description: "Looks something up.", schema: z.object({ query: z.string() }) },
  );
const ask = (content: string) => ({ messages: [{ role: "user", content }] });

/**
 * A lookup tool that holds every call until the test releases it: `started` resolves once a run is inside its
 * tool phase, which then lasts as long as the test needs, however slow or busy the machine.
 */
function gatedLookup() {
  let release = () => {};
  let entered = () => {};
  const opened = new Promise<void>((resolve) => {
    release = resolve;
  });
  const started = new Promise<void>((resolve) => {
    entered = resolve;
  });
  const gated = tool(
    async ({ query }) => {
      entered();
      await opened;
      return `result for ${query}`;
    },
    { name: "lookup", description: "Looks something up.", schema: z.object({ query: z.string() }) },
  );
  return { tool: gated, started, release };
}

describe("augserve() - per-invocation context", () => {
  it("passes context.augserve's priority class and tenant to the scheduler's beginRun", async () => {
    const scheduler = new FifoTestScheduler();
    const agent = createAgent({
      model: new ScriptedToolModel(),
      tools: [lookup()],
      middleware: [augserve({ scheduler, registry: null })],
    });
    await agent.invoke(ask("rounds=1 background job"), {
      context: { augserve: { priorityClass: "background", tenant: "acme" } },
    });
    await agent.invoke(ask("rounds=0 interactive"));
    expect(scheduler.begun.map((b) => [b.priorityClass, b.tenant])).toEqual([
      ["background", "acme"],
      [undefined, undefined],
    ]);
    // No SLO given: the scheduler's own applies (it validates an override on every beginRun).
    expect(scheduler.begun.map((b) => b.slo)).toEqual([undefined, undefined]);
    const slo = { ttftMs: 500, normLatencyMsPerToken: 20 };
    const withSlo = new FifoTestScheduler();
    const aug = createAugServe({ scheduler: withSlo, registry: null, slo });
    aug.beginRun({ messages: [], tools: [] });
    expect(withSlo.begun[0]?.slo).toEqual(slo);
  });

  it("rejects a bad context before any call is made, naming the field", async () => {
    const scheduler = new FifoTestScheduler();
    const agent = createAgent({
      model: new ScriptedToolModel(),
      tools: [lookup()],
      middleware: [augserve({ scheduler, registry: null })],
    });
    const error = await agent
      .invoke(ask("rounds=0 go"), { context: { augserve: { priorityClass: "urgent" as "background" } } })
      .catch((e: unknown) => e);
    expect(String(error)).toMatch(/context\.augserve\.priorityClass/);
    expect(scheduler.begun).toHaveLength(0);
  });
});

describe("augserve() - errors at the agent level", () => {
  it("the middleware's own errors arrive wrapped in MiddlewareError; findAugServeError unwraps them", async () => {
    const scheduler = new FifoTestScheduler();
    const agent = createAgent({
      model: new ScriptedToolModel({ delayMs: 500 }),
      tools: [lookup()],
      middleware: [augserve({ scheduler, registry: null, callTimeoutMs: 20 })],
    });
    const error = await agent.invoke(ask("rounds=0 slow")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MiddlewareError);
    expect((error as Error).name).toBe("AugServeTimeoutError");
    const cause = findAugServeError(error);
    expect(cause).toBeInstanceOf(AugServeTimeoutError);
    expect((cause as AugServeTimeoutError).timeoutMs).toBe(20);
    expect(findError(error, AugServeTimeoutError)?.whileQueued).toBe(false);
  });

  it("an overload refusal (AugServeOverloadedError) reaches the caller with its typed fields", async () => {
    const scheduler = new FifoTestScheduler();
    scheduler.refuseFirstCall = (runId) => new AugServeOverloadedError(runId, 5000, 2000, 3000);
    const aug = createAugServe({ scheduler, registry: null });
    const agent = createAgent({
      model: new ScriptedToolModel(),
      tools: [lookup()],
      middleware: [aug.middleware()],
    });
    const error = await agent.invoke(ask("rounds=1 busy")).catch((e: unknown) => e);
    const overloaded = findError(error, AugServeOverloadedError);
    expect(overloaded?.retryAfterMs).toBe(3000);
    expect([...scheduler.ended.values()]).toEqual(["error"]);
    expect(aug.records().map((r) => r.outcome)).toEqual(["error"]);
    expect(aug.activeRuns).toBe(0);
  });

  it("a model error that an outer retry recovers from does not end the run", async () => {
    const scheduler = new FifoTestScheduler();
    const aug = createAugServe({ scheduler, registry: null });
    let failures = 1;
    const flaky = new ScriptedToolModel();
    const generate = flaky._generate.bind(flaky);
    flaky._generate = async (messages, options) => {
      if (failures-- > 0) throw new Error("transient");
      return generate(messages, options);
    };
    const { modelRetryMiddleware } = await import("langchain");
    const agent = createAgent({
      model: flaky,
      tools: [lookup()],
      middleware: [
        modelRetryMiddleware({ maxRetries: 2, initialDelayMs: 1, jitter: false }),
        aug.middleware(),
      ],
    });
    await agent.invoke(ask("rounds=1 retry me"));
    expect(aug.records().map((r) => r.outcome)).toEqual(["ok"]);
    expect(scheduler.admittedOrder).toHaveLength(3);
  });
});

describe("AugServe - shutdown and sweeping", () => {
  it("onIdle() resolves at once when idle, and when the last run ends", async () => {
    const aug = createAugServe({ scheduler: new FifoTestScheduler(), registry: null });
    await aug.onIdle();
    const gate = gatedLookup();
    const agent = createAgent({
      model: new ScriptedToolModel({ delayMs: 10 }),
      tools: [gate.tool],
      middleware: [aug.middleware()],
    });
    let idle = false;
    const running = agent.invoke(ask("rounds=2 go"));
    await gate.started; // the run is in its first tool phase, held there
    const waiting = aug.onIdle().then(() => {
      idle = true;
    });
    await sleep(20);
    expect(idle).toBe(false);
    gate.release();
    await running;
    await waiting;
    expect(idle).toBe(true);
  });

  it("drain() refuses new runs with AugServeDrainingError and waits for the running ones, tool phases included", async () => {
    const aug = createAugServe({ scheduler: new FifoTestScheduler(), registry: null });
    const gate = gatedLookup();
    const agent = createAgent({
      model: new ScriptedToolModel({ delayMs: 5 }),
      tools: [gate.tool],
      middleware: [aug.middleware()],
    });
    const running = agent.invoke(ask("rounds=2 long"));
    await gate.started; // the run is in its first tool phase, held there
    let isDrained = false;
    const drained = aug.drain().then(() => {
      isDrained = true;
    });
    const refused = await agent.invoke(ask("rounds=0 late")).catch((e: unknown) => e);
    expect(findError(refused, AugServeDrainingError)).toBeInstanceOf(AugServeDrainingError);
    expect(isDrained).toBe(false);
    gate.release();
    await drained;
    expect((await running).messages).toHaveLength(6);
    expect(aug.records().map((r) => r.outcome)).toEqual(["ok"]);
    expect(aug.draining).toBe(true);
    aug.close();
  });

  it("the sweep timer ends a run left without activity as abandoned (and keeps a run whose tool is running)", async () => {
    const aug = createAugServe({ scheduler: new FifoTestScheduler(), registry: null, runIdleTimeoutMs: 20 });
    const stuck = aug.beginRun({ messages: [], tools: [] });
    const busy = aug.beginRun({ messages: [], tools: [] });
    aug.toolStarted(busy);
    await sleep(60);
    expect(stuck.outcome).toBe("abandoned");
    expect(busy.ended).toBe(false);
    aug.toolFinished(busy, "lookup", 60);
    await sleep(60);
    expect(busy.outcome).toBe("abandoned");
    expect(aug.activeRuns).toBe(0);
    const report = aug.report().arms.treatment;
    expect([report.abandoned, report.failed, report.completed]).toEqual([2, 0, 0]);
  });
});

describe("augserveMiddleware()", () => {
  it("is augserve() under LangChain's naming", async () => {
    const scheduler = new FifoTestScheduler();
    const agent = createAgent({
      model: new ScriptedToolModel(),
      tools: [lookup()],
      middleware: [augserveMiddleware({ scheduler, registry: null })],
    });
    await agent.invoke(ask("rounds=1 go"));
    expect([...scheduler.ended.values()]).toEqual(["ok"]);
    expect(augserveMiddleware).toBe(augserve);
  });
});

describe("readInvocation() - what LangGraph hands the hooks (pins the LangGraph internals it reads)", () => {
  it("one key and one invocation signal per invocation, for model and tool hooks alike; a signal per step", async () => {
    const views: { kind: string; view: InvocationView }[] = [];
    const probe = createMiddleware({
      name: "probe",
      wrapModelCall: (request, handler) => {
        views.push({ kind: "model", view: readInvocation(request.runtime) });
        return handler(request);
      },
      wrapToolCall: (request, handler) => {
        views.push({ kind: "tool", view: readInvocation(request.runtime) });
        return handler(request);
      },
    });
    const agent = createAgent({ model: new ScriptedToolModel(), tools: [lookup()], middleware: [probe] });
    await agent.invoke(ask("rounds=1 first"), { configurable: { thread_id: "t-9" } });
    await agent.invoke(ask("rounds=1 second"));
    expect(views.map((v) => v.kind)).toEqual(["model", "tool", "model", "model", "tool", "model"]);
    const [a, b] = [views.slice(0, 3).map((v) => v.view), views.slice(3).map((v) => v.view)];
    for (const run of [a, b]) {
      expect(run.every((v) => v.key !== undefined && v.key === run[0]!.key)).toBe(true);
      expect(run.every((v) => v.invocationSignal instanceof AbortSignal && v.scope === "")).toBe(true);
      expect(new Set(run.map((v) => v.stepSignal)).size).toBe(3);
    }
    expect(a[0]!.key).not.toBe(b[0]!.key);
    expect([a[0]!.threadId, b[0]!.threadId]).toEqual(["t-9", undefined]);
  });
});
