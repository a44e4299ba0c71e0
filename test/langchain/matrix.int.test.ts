/**
 * The compatibility matrix of issue 22 (docs/langchain.md, "Compatibility matrix"): every built-in middleware
 * the installed `langchain` exports, stacked with `augserve()` outside it and inside it, in real `createAgent`
 * agents with ChatOpenAI against the embedded simulator (the mini server where an endpoint is needed that the
 * simulator lacks: OpenAI's moderation, JSON answers for structured output). Each cell checks:
 * - the same outcome as the same agent without `augserve()`: the same messages (ids and timings aside), the
 *   same structured response, or the same error;
 * - each run's recorded outcome (an error message from retry middleware is a failed run);
 * - no run left open: `aug.stats()` shows 0 runs active and 0 parked within 1 s of the invocation settling,
 *   with no sweep, and the scheduler holds nothing.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { BaseMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { Command, MemorySaver } from "@langchain/langgraph";
import * as langchain from "langchain";
import {
  type AgentMiddleware,
  anthropicPromptCachingMiddleware,
  bedrockPromptCachingMiddleware,
  ClearToolUsesEdit,
  contextEditingMiddleware,
  createAgent,
  dynamicSystemPromptMiddleware,
  humanInTheLoopMiddleware,
  llmToolSelectorMiddleware,
  modelCallLimitMiddleware,
  modelFallbackMiddleware,
  modelRetryMiddleware,
  openAIModerationMiddleware,
  piiMiddleware,
  piiRedactionMiddleware,
  providerToolSearchMiddleware,
  summarizationMiddleware,
  todoListMiddleware,
  toolCallLimitMiddleware,
  toolEmulatorMiddleware,
  toolErrorMiddleware,
  toolRetryMiddleware,
} from "langchain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { AugServe } from "../../src/langchain/index.js";
import type { SchedulerApi } from "../../src/scheduler/types.js";
import { type SimServer, startSimServer } from "../../src/sim/index.js";
import { chat, expectClean, freshAug, script, shape } from "./compat-harness.js";
import { type MiniOpenAI, startMiniOpenAI } from "./mini-openai.js";

const call = (name: string, query: string) => ({ name, arguments: { query } });
const lookup = () =>
  tool(async ({ query }) => `result for ${query}`, {
    name: "lookup",
    description: "Looks something up.",
    schema: z.object({ query: z.string() }),
  });
/** A tool that throws on its first `failures` runs (a fresh one per agent: the count is its state). */
const flaky = (failures: number) => {
  let runs = 0;
  return tool(
    async ({ query }) => {
      runs += 1;
      if (runs <= failures) throw new Error(`flaky failure ${runs}`);
      return `ok ${query}`;
    },
    { name: "lookup", description: "Fails at first.", schema: z.object({ query: z.string() }) },
  );
};

let sim: SimServer;
let mini: MiniOpenAI;
let selector: MiniOpenAI;
const dead = () => chat("http://127.0.0.1:9/v1");
beforeAll(async () => {
  sim = await startSimServer({ timeScale: 100 });
  sim.registerScripts([
    script("one round", [[call("lookup", "a")]]),
    script("two rounds", [[call("lookup", "a")], [call("lookup", "b")]]),
    script("three rounds", [[call("lookup", "a")], [call("lookup", "b")], [call("lookup", "c")]], 20),
    script("two at once", [[call("lookup", "a"), call("lookup", "b")]]),
  ]);
  mini = await startMiniOpenAI();
  selector = await startMiniOpenAI({ content: () => JSON.stringify({ tools: ["lookup"] }) });
});
afterAll(async () => {
  await sim.close();
  await mini.close();
  await selector.close();
});

/** One cell of the matrix: a built-in middleware (fresh per agent) with what the agent runs. */
interface Cell {
  name: string;
  middleware: () => AgentMiddleware;
  input: string;
  /** Outcomes of the runs `augserve()` records (sorted). */
  outcomes: string[];
  model?: () => unknown;
  tools?: () => unknown[];
  /** Uses a checkpointer and a thread (e.g. an interrupt, then a resume). */
  thread?: boolean;
  /** Resumes an interrupt with these decisions. */
  resume?: unknown;
  /**
   * The one visible difference `augserve()` placed inside this middleware makes, if any: the plain outcome as
   * the scheduled agent gives it (documented in the matrix).
   */
  expectedWithAugserveInside?: (plain: Outcome) => Outcome;
}

/** `value` with `from` replaced by `to` in every string it holds. */
function replaceText(value: unknown, from: string, to: string): unknown {
  if (typeof value === "string") return value.replace(from, to);
  if (Array.isArray(value)) return value.map((v) => replaceText(v, from, to));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceText(v, from, to)]));
  return value;
}

const summarizer = () => new FakeListChatModel({ responses: ["Summary: lookups so far."] });

const CELLS: Cell[] = [
  {
    name: "summarizationMiddleware",
    middleware: () =>
      summarizationMiddleware({ model: summarizer(), trigger: { messages: 4 }, keep: { messages: 2 } }),
    input: "three rounds",
    outcomes: ["ok"],
  },
  {
    name: "modelCallLimitMiddleware (end)",
    middleware: () => modelCallLimitMiddleware({ runLimit: 1, exitBehavior: "end" }),
    input: "two rounds",
    outcomes: ["ok"],
  },
  {
    name: "modelCallLimitMiddleware (error)",
    middleware: () => modelCallLimitMiddleware({ runLimit: 1, exitBehavior: "error" }),
    input: "two rounds",
    outcomes: ["error"],
  },
  {
    name: "toolCallLimitMiddleware (continue)",
    middleware: () => toolCallLimitMiddleware({ runLimit: 1, exitBehavior: "continue" }),
    input: "two rounds",
    outcomes: ["ok"],
  },
  {
    name: "toolCallLimitMiddleware (end)",
    middleware: () => toolCallLimitMiddleware({ runLimit: 1, exitBehavior: "end" }),
    input: "two rounds",
    outcomes: ["ok"],
  },
  {
    name: "toolCallLimitMiddleware (error)",
    middleware: () => toolCallLimitMiddleware({ runLimit: 1, exitBehavior: "error" }),
    input: "two rounds",
    outcomes: ["error"],
  },
  {
    name: "modelRetryMiddleware (continue: every attempt fails)",
    middleware: () => modelRetryMiddleware({ maxRetries: 1, initialDelayMs: 1, jitter: false }),
    model: dead,
    input: "one round",
    outcomes: ["error"],
    // LangChain wraps every error that leaves a wrapModelCall middleware in its MiddlewareError, and the retry
    // message names the error's class: with augserve() inside the retry, that class is MiddlewareError.
    expectedWithAugserveInside: (plain) =>
      replaceText(plain, "with APIConnectionError:", "with MiddlewareError:") as Outcome,
  },
  {
    name: "modelRetryMiddleware (error: every attempt fails)",
    middleware: () =>
      modelRetryMiddleware({ maxRetries: 1, initialDelayMs: 1, jitter: false, onFailure: "error" }),
    model: dead,
    input: "one round",
    outcomes: ["error"],
  },
  {
    name: "modelRetryMiddleware (healthy model)",
    middleware: () => modelRetryMiddleware({ maxRetries: 1, initialDelayMs: 1, jitter: false }),
    input: "one round",
    outcomes: ["ok"],
  },
  {
    name: "modelFallbackMiddleware",
    middleware: () => modelFallbackMiddleware(chat(sim.baseURL)),
    model: dead,
    input: "one round",
    outcomes: ["ok"],
  },
  {
    name: "toolRetryMiddleware",
    middleware: () => toolRetryMiddleware({ maxRetries: 2, initialDelayMs: 1, jitter: false }),
    tools: () => [flaky(2)],
    input: "one round",
    outcomes: ["ok"],
  },
  {
    name: "toolErrorMiddleware",
    middleware: () => toolErrorMiddleware({ onError: (error) => `custom: ${(error as Error).message}` }),
    tools: () => [flaky(5)],
    input: "one round",
    outcomes: ["ok"],
  },
  {
    name: "humanInTheLoopMiddleware (interrupt, then approve)",
    middleware: () => humanInTheLoopMiddleware({ interruptOn: { lookup: true } }),
    input: "one round",
    thread: true,
    resume: { decisions: [{ type: "approve" }] },
    outcomes: ["ok"],
  },
  {
    name: "humanInTheLoopMiddleware (interrupt never resumed)",
    middleware: () => humanInTheLoopMiddleware({ interruptOn: { lookup: true } }),
    input: "one round",
    thread: true,
    outcomes: ["abandoned"],
  },
  {
    name: "piiMiddleware (redact)",
    middleware: () => piiMiddleware("email", { strategy: "redact", applyToInput: true }),
    input: "one round, mail a@b.example",
    outcomes: ["ok"],
  },
  {
    name: "piiMiddleware (block)",
    middleware: () => piiMiddleware("email", { strategy: "block", applyToInput: true }),
    input: "one round, mail a@b.example",
    outcomes: [],
  },
  {
    name: "piiRedactionMiddleware",
    middleware: () => piiRedactionMiddleware({ rules: { email: /\S+@\S+/g } }),
    input: "one round",
    outcomes: ["ok"],
  },
  {
    name: "llmToolSelectorMiddleware",
    middleware: () => llmToolSelectorMiddleware({ model: chat(selector.baseURL), maxTools: 1 }),
    input: "one round",
    outcomes: ["ok"],
  },
  {
    name: "contextEditingMiddleware",
    middleware: () =>
      contextEditingMiddleware({
        edits: [new ClearToolUsesEdit({ trigger: { tokens: 20 }, keep: { messages: 1 } })],
        tokenCountMethod: "approx",
      }),
    input: "three rounds",
    outcomes: ["ok"],
  },
  {
    name: "todoListMiddleware",
    middleware: () => todoListMiddleware(),
    input: "two rounds",
    outcomes: ["ok"],
  },
  {
    name: "dynamicSystemPromptMiddleware",
    middleware: () => dynamicSystemPromptMiddleware(() => "You are terse."),
    input: "one round",
    outcomes: ["ok"],
  },
  {
    name: "toolEmulatorMiddleware",
    middleware: () =>
      toolEmulatorMiddleware({ model: new FakeListChatModel({ responses: ["emulated result"] }) }),
    input: "one round",
    outcomes: ["ok"],
  },
  {
    name: "providerToolSearchMiddleware",
    middleware: () => providerToolSearchMiddleware(),
    input: "one round",
    outcomes: ["ok"],
  },
  {
    name: "openAIModerationMiddleware",
    middleware: () =>
      openAIModerationMiddleware({ model: chat(mini.baseURL), checkInput: true, checkOutput: true }),
    model: () => chat(mini.baseURL),
    input: "moderate me",
    outcomes: ["ok"],
  },
  {
    name: "anthropicPromptCachingMiddleware (non-Anthropic model)",
    middleware: () => anthropicPromptCachingMiddleware({ unsupportedModelBehavior: "ignore" }),
    input: "one round",
    outcomes: ["ok"],
  },
  {
    name: "bedrockPromptCachingMiddleware (non-Bedrock model)",
    middleware: () => bedrockPromptCachingMiddleware({ unsupportedModelBehavior: "ignore" }),
    input: "one round",
    outcomes: ["ok"],
  },
];

/** What an invocation came to, comparable with and without `augserve()`. */
type Outcome =
  | { kind: "ok"; messages: unknown; structured: unknown; interrupted: boolean }
  | { kind: "error"; name: string; message: string };

interface Agent {
  invoke(input: unknown, config?: unknown): Promise<{ messages: BaseMessage[]; __interrupt__?: unknown }>;
}

let threads = 0;
async function runCell(cell: Cell, middleware: AgentMiddleware[]): Promise<Outcome> {
  const agent = createAgent({
    model: (cell.model?.() ?? chat(sim.baseURL)) as never,
    tools: (cell.tools?.() ?? [lookup()]) as never,
    middleware: middleware as never,
    ...(cell.thread ? { checkpointer: new MemorySaver() } : {}),
  }) as unknown as Agent;
  const config = cell.thread ? { configurable: { thread_id: `matrix-${threads++}` } } : undefined;
  try {
    let result = await agent.invoke({ messages: [{ role: "user", content: cell.input }] }, config);
    if (cell.resume !== undefined && result.__interrupt__ !== undefined)
      result = await agent.invoke(new Command({ resume: cell.resume }), config);
    return {
      kind: "ok",
      messages: shape(result.messages),
      structured: (result as { structuredResponse?: unknown }).structuredResponse,
      interrupted: result.__interrupt__ !== undefined,
    };
  } catch (error) {
    const e = error as Error;
    return { kind: "error", name: e.name, message: e.message };
  }
}

/** Waits up to 1 s for every run to be closed (the target: 0 active and 0 parked within 1 s). */
async function settled(aug: AugServe): Promise<void> {
  const until = performance.now() + 1000;
  while (performance.now() < until) {
    const stats = aug.stats();
    if (stats.activeRuns === 0 && stats.parkedRuns === 0) return;
    await sleep(5);
  }
}

function expectClosed(aug: AugServe, scheduler: SchedulerApi, outcomes: string[]): void {
  expect(aug.stats()).toEqual({ activeRuns: 0, parkedRuns: 0, sweptRuns: 0 });
  expect(
    aug
      .records()
      .map((r) => r.outcome)
      .sort(),
  ).toEqual([...outcomes].sort());
  expectClean(aug, scheduler);
}

describe("augserve() compatibility matrix (issue 22): every built-in middleware, both orders", () => {
  it("covers every middleware factory the installed langchain exports", () => {
    const exported = Object.keys(langchain).filter((k) => /Middleware$/.test(k) && k !== "createMiddleware");
    const covered = new Set(CELLS.map((c) => c.name.split(" ")[0]));
    expect(exported.filter((name) => !covered.has(name))).toEqual([]);
  });

  for (const cell of CELLS) {
    for (const order of ["outside", "inside"] as const) {
      it(`${cell.name}, ${order} augserve(): same outcome as without it, every run closed`, async () => {
        const plain = await runCell(cell, [cell.middleware()]);
        const { aug, scheduler } = freshAug({ runIdleTimeoutMs: 600_000 });
        const stack =
          order === "outside" ? [cell.middleware(), aug.middleware()] : [aug.middleware(), cell.middleware()];
        const scheduled = await runCell(cell, stack);
        const expected = order === "outside" ? (cell.expectedWithAugserveInside?.(plain) ?? plain) : plain;
        expect(scheduled).toEqual(expected);
        await settled(aug);
        expectClosed(aug, scheduler, cell.outcomes);
      });
    }
  }
});
