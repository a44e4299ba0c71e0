/**
 * One view of the world for live and virtual (issue 11, item 2): the virtual driver and the middleware give
 * the scheduler identical inputs for the same conversation.
 *
 * The same generated run goes (1) through `runVirtual` (virtual time, the simulator's engine in-process) and
 * (2) through a real `createAgent` agent with `ChatOpenAI` and the middleware, over HTTP against the
 * simulator's server, with the live bench's tools. Both use the real scheduler, wrapped to record what it is
 * told: the run's features, every call's `CallSpec` and every call's reported result. Nothing is mocked.
 */
import { ChatOpenAI } from "@langchain/openai";
import { createAgent } from "langchain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildRunTools } from "../../src/ab/live/tools.js";
import { runVirtual } from "../../src/ab/virtual/index.js";
import { createAugServe } from "../../src/langchain/index.js";
import { createPredictor } from "../../src/predict/predictor.js";
import { createScheduler } from "../../src/scheduler/create-scheduler.js";
import type {
  CallContext,
  CallResult,
  CallSpec,
  CallTicket,
  RunHandle,
  SchedulerApi,
} from "../../src/scheduler/types.js";
import { type SimServer, scriptsFromRuns, startSimServer } from "../../src/sim/index.js";
import { type GeneratedWorkload, loadWorkload, type WorkloadFileInput } from "../../src/workload/index.js";

/** A math-like run: three calculator rounds whose scripted outputs hold their arguments. */
const file: WorkloadFileInput = {
  name: "parity",
  seed: 5,
  durationS: 100,
  // The second run arrives long after the first has ended, in both modes (live runs them one by one).
  arrival: { process: "trace", offsetsS: [0, 60] },
  slo: { ttftMs: 1000, normLatencyMsPerToken: 100 },
  tools: [
    {
      name: "calculator",
      description: "Evaluate an arithmetic expression",
      parameters: {
        type: "object",
        properties: { expression: { type: "string" } },
        required: ["expression"],
      },
      latencyMs: { dist: "const", value: 5 },
      resultTokens: { dist: "uniform", min: 10, max: 40 },
    },
  ],
  classes: [
    {
      name: "math",
      weight: 1,
      tools: ["calculator"],
      systemPrompt: "You are a careful math tutor. Use the calculator for every step.",
      systemPromptTokens: 120,
      prompts: [{ template: "I have {n|some} sums, starting with {items}.", items: ["(3+4)*2", "17/4"] }],
      toolRounds: { dist: "const", value: 3 },
      promptTokens: { dist: "const", value: 300 },
      outputTokensPerCall: { dist: "uniform", min: 40, max: 60 },
      finalOutputTokens: { dist: "const", value: 30 },
    },
  ],
};

interface Told {
  /** Run features without `toolLatencyMs`: live measures a real tool's wall time, virtual the script's. */
  features: unknown[];
  specs: CallSpec[];
  results: CallResult[];
}

/** The real scheduler, recording what it is told (run features, call specs, call results). */
function recording(scheduler: SchedulerApi, told: Told): SchedulerApi {
  const wrapTicket = (ticket: CallTicket): CallTicket =>
    new Proxy(ticket, {
      get(target, key, receiver) {
        if (key === "complete")
          return (result: CallResult) => {
            told.results.push(result);
            return target.complete(result);
          };
        const value = Reflect.get(target, key, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  const wrapHandle = (handle: RunHandle): RunHandle =>
    new Proxy(handle, {
      get(target, key, receiver) {
        if (key === "submit")
          return (spec: CallSpec, handlers: Parameters<RunHandle["submit"]>[1]) => {
            told.specs.push(spec);
            return target.submit(spec, { ...handlers, onAdmit: (t) => handlers.onAdmit(wrapTicket(t)) });
          };
        if (key === "call")
          return <T>(spec: CallSpec, fn: (ctx: CallContext) => Promise<T>, options?: unknown) => {
            told.specs.push(spec);
            const recorded = (ctx: CallContext) =>
              fn(
                new Proxy(ctx, {
                  get(c, k, r) {
                    if (k === "setResult")
                      return (result: CallResult) => {
                        told.results.push(result);
                        c.setResult(result);
                      };
                    const value = Reflect.get(c, k, r);
                    return typeof value === "function" ? value.bind(c) : value;
                  },
                }),
              );
            return target.call(spec, recorded, options as never);
          };
        const value = Reflect.get(target, key, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  return new Proxy(scheduler, {
    get(target, key, receiver) {
      if (key === "beginRun")
        return (options: Parameters<SchedulerApi["beginRun"]>[0]) => {
          const { toolLatencyMs: _measuredDifferently, ...features } = options.features;
          told.features.push(features);
          return wrapHandle(target.beginRun(options));
        };
      const value = Reflect.get(target, key, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function virtualTold(workload: GeneratedWorkload): Told {
  const told: Told = { features: [], specs: [], results: [] };
  const result = runVirtual({
    workload,
    policy: "augserve",
    predictor: () => createPredictor(),
    createScheduler: ({ policy, slo, clock }) => recording(createScheduler({ policy, slo }, { clock }), told),
  });
  expect(result.summary.completed).toBe(workload.runs.length);
  return told;
}

let sim: SimServer;
beforeAll(async () => {
  sim = await startSimServer({ timeScale: 1000 });
});
afterAll(async () => {
  await sim.close();
});

async function liveTold(workload: GeneratedWorkload): Promise<Told> {
  const told: Told = { features: [], specs: [], results: [] };
  sim.registerScripts(scriptsFromRuns(workload.runs));
  const aug = createAugServe({
    scheduler: recording(createScheduler({ policy: "augserve", slo: workload.slo }), told),
    predictor: createPredictor(),
    slo: workload.slo,
    registry: null,
  });
  // One run after the other, as in the virtual run (the second arrives after the first has ended there too).
  for (const run of workload.runs) {
    const agent = createAgent({
      model: new ChatOpenAI({
        model: "sim",
        apiKey: "sk-none",
        maxRetries: 0,
        configuration: { baseURL: sim.baseURL },
      }),
      tools: buildRunTools(run, 1000),
      systemPrompt: run.systemPrompt,
      middleware: [aug.middleware()],
    });
    await agent.invoke({ messages: [{ role: "user", content: run.userPrompt }] });
  }
  aug.close();
  return told;
}

describe("CallAccounting - the virtual driver and the middleware tell the scheduler the same", () => {
  it("gives identical run features, call specs and call results for the same conversation", async () => {
    const workload = loadWorkload(file);
    expect(workload.runs).toHaveLength(2);
    const live = await liveTold(workload);
    const virtual = virtualTold(workload);
    // 2 runs x (3 tool rounds + the final answer).
    expect(live.specs).toHaveLength(8);
    expect(virtual).toEqual(live);
    // Follow-up calls are told their cached prefix, first calls are not; nothing is told exactly.
    expect(live.specs.map((s) => (s.cachedPromptTokens ?? 0) > 0)).toEqual([
      false,
      true,
      true,
      true,
      false,
      true,
      true,
      true,
    ]);
    const exact = live.results.map((r) => r.promptTokens);
    expect(live.specs.map((s) => s.promptTokens)).not.toEqual(exact);
    // The estimates track the server's counts (calibrated and anchored on the previous call).
    for (const [i, spec] of live.specs.entries())
      expect(Math.abs(spec.promptTokens - exact[i]!) / exact[i]!).toBeLessThan(0.35);
  });
});
