/**
 * `npm run bench:middleware`: the latency the augserve() middleware adds per model call.
 *
 * The same createAgent agent, with a fake instant chat model (no I/O), is invoked with and without the
 * middleware, interleaved in blocks within one run so that both see the same machine state. Each
 * invocation makes `rounds + 1` model calls (rounds tool calls of an instant tool), so the added time per
 * call is (with - without) / (rounds + 1), at the median and the 99th percentile of invocations.
 *
 * The middleware runs with the real AugServe scheduler (default options) and a fresh registry-free
 * instance, so the figure includes admission, release and the scheduler's bookkeeping.
 *
 * `--json` prints only `{ "addedUsPerCallP50": x, "addedUsPerCallP99": y }`.
 * Options: `--iterations N` (per arm, default 1500), `--rounds R` (tool rounds per run, default 2).
 */

import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { tool } from "@langchain/core/tools";
import { createAgent, createMiddleware } from "langchain";
import { z } from "zod";
import { createAugServe } from "../langchain/index.js";
import { createScheduler } from "../scheduler/create-scheduler.js";

/** A chat model that answers at once: `rounds` tool calls, then a final answer. */
class InstantToolModel extends BaseChatModel {
  readonly #rounds: number;
  constructor(rounds: number) {
    super({});
    this.#rounds = rounds;
  }
  override _llmType(): string {
    return "instant";
  }
  override bindTools(): this {
    return this;
  }
  override async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const done = messages.filter((m) => m.getType() === "ai").length;
    const usage = { input_tokens: 50, output_tokens: 10, total_tokens: 60 };
    const message =
      done < this.#rounds
        ? new AIMessage({
            content: "",
            tool_calls: [{ id: `c${done}`, name: "noop", args: { x: done }, type: "tool_call" }],
            usage_metadata: usage,
          })
        : new AIMessage({ content: "done", usage_metadata: usage });
    return { generations: [{ text: message.text, message }] };
  }
}

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`Expected ${name} to be a number >= 0, got ${value}`);
  return value;
}

function quantile(sorted: number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const iterations = arg("--iterations", 1500);
  const rounds = arg("--rounds", 2);
  const noop = tool(async ({ x }) => `ok ${x}`, {
    name: "noop",
    description: "Does nothing.",
    schema: z.object({ x: z.number() }),
  });
  const aug = createAugServe({ scheduler: createScheduler(), registry: null });
  const plain = createAgent({ model: new InstantToolModel(rounds), tools: [noop] });
  const scheduled = createAgent({
    model: new InstantToolModel(rounds),
    tools: [noop],
    middleware: [aug.middleware()],
  });
  // The same two hooks doing nothing: what LangChain itself charges for any wrap middleware, so the report can
  // tell that cost apart from AugServe's own.
  const passThrough = createMiddleware({
    name: "pass-through",
    wrapModelCall: (request, handler) => handler(request),
    wrapToolCall: (request, handler) => handler(request),
  });
  const hooksOnly = createAgent({
    model: new InstantToolModel(rounds),
    tools: [noop],
    middleware: [passThrough],
  });
  const input = { messages: [{ role: "user", content: "Please do the thing with the noop tool." }] };
  const time = async (agent: typeof plain | typeof scheduled | typeof hooksOnly) => {
    const start = process.hrtime.bigint();
    await agent.invoke(input);
    return Number(process.hrtime.bigint() - start) / 1000;
  };
  // Warm-up: JIT, module caches, graph compilation.
  for (let i = 0; i < Math.min(200, iterations); i++) {
    await time(plain);
    await time(scheduled);
    await time(hooksOnly);
  }
  aug.resetRecords();
  const without: number[] = [];
  const withMw: number[] = [];
  const withHooks: number[] = [];
  const block = 50;
  for (let done = 0; done < iterations; done += block) {
    for (let i = 0; i < block; i++) without.push(await time(plain));
    for (let i = 0; i < block; i++) withMw.push(await time(scheduled));
    for (let i = 0; i < block; i++) withHooks.push(await time(hooksOnly));
  }
  without.sort((a, b) => a - b);
  withMw.sort((a, b) => a - b);
  withHooks.sort((a, b) => a - b);
  const calls = rounds + 1;
  const result = {
    addedUsPerCallP50: Math.round(((quantile(withMw, 0.5) - quantile(without, 0.5)) / calls) * 10) / 10,
    addedUsPerCallP99: Math.round(((quantile(withMw, 0.99) - quantile(without, 0.99)) / calls) * 10) / 10,
    /** Of the p50 above, what two pass-through wrap hooks alone cost (LangChain's share). */
    passThroughHooksUsPerCallP50:
      Math.round(((quantile(withHooks, 0.5) - quantile(without, 0.5)) / calls) * 10) / 10,
  };
  if (json) {
    console.log(JSON.stringify(result));
    return;
  }
  console.log(
    `middleware overhead: ${iterations} runs per arm, ${calls} model calls per run (instant fake model)`,
  );
  console.log(
    `  without: p50 ${(quantile(without, 0.5) / calls).toFixed(1)} us/call, p99 ${(quantile(without, 0.99) / calls).toFixed(1)} us/call`,
  );
  console.log(
    `  with:    p50 ${(quantile(withMw, 0.5) / calls).toFixed(1)} us/call, p99 ${(quantile(withMw, 0.99) / calls).toFixed(1)} us/call`,
  );
  console.log(
    `  added:   p50 ${result.addedUsPerCallP50} us/call, p99 ${result.addedUsPerCallP99} us/call (target p50 <= 200)`,
  );
  console.log(
    `  of which two pass-through wrap hooks alone (LangChain's cost of any such middleware): p50 ${result.passThroughHooksUsPerCallP50} us/call`,
  );
}

await main();
