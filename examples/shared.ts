/**
 * Shared by the examples: command-line flags, and the in-process simulator started when `--base-url` is
 * not given (so each example runs with one command and no GPU).
 *
 * Flags: `--base-url URL` (an OpenAI-compatible server, e.g. vLLM's `http://127.0.0.1:8000/v1`),
 * `--model NAME` (served model name, default "sim"), `--time-scale N` (simulator speed-up, default 20),
 * `--users N` (concurrent users).
 */
import { tool } from "@langchain/core/tools";
import { ChatOpenAI } from "@langchain/openai";
import { z } from "zod";
import { localTokenCounts } from "../src/langchain/index.js";
import type { ConversationScript, ScriptedToolCall } from "../src/script/types.js";
import { startSimServer } from "../src/sim/index.js";

export interface ExampleBackend {
  baseURL: string;
  metricsUrl: string | undefined;
  model: string;
  timeScale: number;
  simulated: boolean;
  close(): Promise<void>;
}

export function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

export function numberFlag(name: string, fallback: number): number {
  const raw = flag(name);
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`Expected --${name} to be a number > 0, got ${raw}`);
  return value;
}

/** The server to talk to: `--base-url`, or a simulator started here with the given scripts. */
export async function backend(scripts: ConversationScript[]): Promise<ExampleBackend> {
  const baseURL = flag("base-url");
  const timeScale = numberFlag("time-scale", 20);
  if (baseURL !== undefined) {
    const metricsUrl = flag("metrics-url") ?? `${baseURL.replace(/\/v1\/?$/, "")}/metrics`;
    return {
      baseURL,
      metricsUrl,
      model: flag("model") ?? "default",
      timeScale: 1,
      simulated: false,
      close: async () => {},
    };
  }
  const sim = await startSimServer({ timeScale });
  sim.registerScripts(scripts);
  return {
    baseURL: sim.baseURL,
    metricsUrl: sim.metricsUrl,
    model: "sim",
    timeScale,
    simulated: true,
    close: () => sim.close(),
  };
}

/**
 * The examples' chat model. `localTokenCounts`: LangChain would otherwise download tiktoken's tables to count
 * tokens (with `streaming: true`, on every call), which waits for a minute per call on an offline machine.
 */
export function chatModel(b: ExampleBackend): ChatOpenAI {
  return localTokenCounts(
    new ChatOpenAI({
      model: b.model,
      apiKey: process.env.OPENAI_API_KEY ?? "sk-none",
      configuration: { baseURL: b.baseURL },
    }),
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Tools with realistic latencies (divided by the simulator's time scale, so that tool and GPU time keep their ratio). */
export function makeTools(timeScale: number) {
  const wait = (ms: number) => sleep(ms / timeScale);
  return [
    tool(
      async ({ expression }) => {
        await wait(5);
        const clean = expression.replace(/[^0-9+\-*/(). ]/g, "");
        return clean === "" ? "0" : String(Function(`"use strict"; return (${clean});`)());
      },
      {
        name: "calculator",
        description: "Evaluates an arithmetic expression.",
        schema: z.object({ expression: z.string() }),
      },
    ),
    tool(
      async ({ query }) => {
        await wait(300 + Math.random() * 500);
        return `Top result for "${query}": an encyclopedia article with the answer.`;
      },
      {
        name: "search",
        description: "Searches the web and returns the top result.",
        schema: z.object({ query: z.string() }),
      },
    ),
    tool(
      async ({ city }) => {
        await wait(150 + Math.random() * 100);
        return `${city}: 18 C, light rain, wind 12 km/h.`;
      },
      {
        name: "get_weather",
        description: "Current weather of a city.",
        schema: z.object({ city: z.string() }),
      },
    ),
  ];
}

const CALLS: ScriptedToolCall[] = [
  { name: "calculator", arguments: { expression: "17 * 23 + 4" } },
  { name: "search", arguments: { query: "tallest building in Europe" } },
  { name: "get_weather", arguments: { city: "Lisbon" } },
];

/** A user's question and the simulator script of its conversation (rounds of tool calls, output lengths). */
export function userScript(user: number, rounds: number, parallel = 1): ConversationScript {
  return {
    firstUserMessage: `User ${user}: plan my day, it needs ${rounds} lookups.`,
    rounds: Array.from({ length: rounds }, (_, r) => ({
      outputTokens: 20 + ((user * 7 + r * 13) % 60),
      toolCalls: Array.from({ length: parallel }, (_, i) => CALLS[(user + r + i) % CALLS.length]!),
    })),
    finalOutputTokens: 60 + ((user * 31) % 240),
  };
}

export const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};
