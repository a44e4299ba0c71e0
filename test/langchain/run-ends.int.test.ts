/**
 * Regression tests of issue 22's defects, each with a real `createAgent` agent (ChatOpenAI against the
 * simulator, or the scripted model where the scheduler's side is asserted with the recording test double):
 * runs left parked by invocations sharing one message object, an error message from retry middleware
 * recorded (and learned) as a success, a script hanging at `await aug.onIdle()`, and `reopenRun` dropping
 * the run's service class and fairness key.
 */
import { spawnSync } from "node:child_process";
import { HumanMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { createAgent, createMiddleware, modelRetryMiddleware } from "langchain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defaultPredictor } from "../../src/langchain/defaults.js";
import { createAugServe } from "../../src/langchain/index.js";
import type { Predictor } from "../../src/predict/types.js";
import { type SimServer, startSimServer } from "../../src/sim/index.js";
import { chat, expectRuns, freshAug, script, shape } from "./compat-harness.js";
import { FifoTestScheduler, ScriptedToolModel } from "./helpers.js";

let sim: SimServer;
beforeAll(async () => {
  sim = await startSimServer({ timeScale: 100 });
  sim.registerScripts([
    script("shared and direct", [[{ name: "direct", arguments: { query: "a" } }]]),
    script("retry me", []),
  ]);
});
afterAll(async () => {
  await sim.close();
});

describe("runs end with their invocation (issue 22)", () => {
  it("eight invocations sharing one message object that end on a tool message: eight ok runs, none parked", async () => {
    const shared = new HumanMessage("shared and direct");
    const direct = tool(async ({ query }) => `direct ${query}`, {
      name: "direct",
      description: "Answers directly.",
      schema: z.object({ query: z.string() }),
      returnDirect: true,
    });
    const run = (middleware: ReturnType<typeof createMiddleware>[]) =>
      Promise.all(
        Array.from({ length: 8 }, () =>
          createAgent({ model: chat(sim.baseURL), tools: [direct], middleware }).invoke({
            messages: [shared],
          }),
        ),
      );
    const plain = await run([]);
    const { aug, scheduler } = freshAug();
    const scheduled = await run([aug.middleware()]);
    expect(scheduled.map((r) => shape(r.messages))).toEqual(plain.map((r) => shape(r.messages)));
    expect(scheduled[0]!.messages.at(-1)?.getType()).toBe("tool");
    expectRuns(aug, scheduler, Array(8).fill("ok"));
    expect(aug.stats()).toEqual({ activeRuns: 0, parkedRuns: 0, sweptRuns: 0 });
  });

  for (const order of ["outside", "inside"] as const) {
    it(`modelRetryMiddleware ${order} augserve(), every attempt failed: a failed run, never learned as a success`, async () => {
      const learned: unknown[] = [];
      const base = defaultPredictor();
      const predictor: Predictor = {
        predict: (context) => base.predict(context),
        learnToolLatency: () => {},
        learnRun: (_context, observation) => {
          learned.push(observation);
        },
      } as Predictor;
      const { aug, scheduler } = freshAug({ predictor });
      const retry = modelRetryMiddleware({ maxRetries: 1, initialDelayMs: 1, jitter: false });
      const agent = createAgent({
        model: chat("http://127.0.0.1:9/v1"),
        tools: [],
        middleware: order === "outside" ? [retry, aug.middleware()] : [aug.middleware(), retry],
      });
      const result = await agent.invoke({ messages: [{ role: "user", content: "retry me" }] });
      expect(String(result.messages.at(-1)?.content)).toMatch(/^Model call failed after 2 attempts/);
      expectRuns(aug, scheduler, ["error"]);
      expect(learned).toEqual([]);
      expect(scheduler.snapshot().counters).toMatchObject({ completed: 0 });
    });
  }

  it("a script that awaits aug.onIdle() and drain() after invocations ended outside the hooks exits 0 at once", () => {
    const child = spawnSync(
      process.execPath,
      ["--import", "tsx", "test/langchain/fixtures/on-idle-script.ts"],
      {
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    expect(child.stderr).not.toMatch(/Error/);
    expect(child.status).toBe(0);
    const ms = Number(/after onIdle (\d+)/.exec(child.stdout)?.[1]);
    expect(ms).toBeLessThan(1000);
  });
});

describe("reopenRun keeps the run's settings (issue 22)", () => {
  it("a run continued after a final answer begins its next segment with its priority class and tenant", async () => {
    const scheduler = new FifoTestScheduler();
    let jumped = false;
    const again = createMiddleware({
      name: "again",
      afterModel: {
        canJumpTo: ["model"],
        hook: () => {
          if (jumped) return undefined;
          jumped = true;
          return { messages: [new HumanMessage("once more")], jumpTo: "model" as const };
        },
      },
    });
    const aug = createAugServe({ scheduler, registry: null });
    await createAgent({
      model: new ScriptedToolModel(),
      tools: [],
      middleware: [again, aug.middleware()],
    }).invoke(
      { messages: [{ role: "user", content: "rounds=0 go" }] },
      { context: { augserve: { priorityClass: "background", tenant: "acme" } } },
    );
    expect(scheduler.begun.map((b) => [(b.runId ?? "").includes("~"), b.priorityClass, b.tenant])).toEqual([
      [false, "background", "acme"],
      [true, "background", "acme"],
    ]);
    expect(aug.stats()).toMatchObject({ activeRuns: 0, parkedRuns: 0 });
  });
});
