/**
 * `npm run bench:middleware`: the latency the augserve() middleware adds per model call.
 *
 * The same createAgent agent, with a fake instant chat model (no I/O), is invoked with and without the
 * middleware, interleaved in blocks within one run so that every arm sees the same machine state. Each
 * invocation makes `rounds + 1` model calls (rounds tool calls of an instant tool), so the added time per
 * call is (with - without) / (rounds + 1), at the median and the 99th percentile of invocations. The whole
 * comparison is repeated (`--repeats`): the figure is the median over repeats, with their spread, since a
 * shared machine moves every arm between repeats. CPU time per call (process.cpuUsage) is printed beside
 * wall time: it moves less with the other processes on the machine.
 *
 * The middleware runs with the real AugServe scheduler and predictor (default options) and a registry-free
 * instance, so the figure includes admission, release, the scheduler's and the predictor's bookkeeping. A
 * pass-through middleware with the same hook (`wrapModelCall`) is measured beside it: LangChain's own cost of any
 * such middleware. `--alternatives` also measures what the other ways of seeing an agent's lifecycle would
 * cost by themselves (a pass-through `afterAgent`, `beforeAgent` + `afterAgent`, `afterModel`): each adds
 * a graph node, hence the middleware's wrap hook only (the graph's end is observed without a node).
 *
 * `--json` prints one JSON object (the keys below). Options: `--iterations N` (runs per arm per repeat,
 * default 300), `--repeats R` (default 5), `--rounds K` (tool rounds per run, default 2), `--alternatives`.
 */

import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { tool } from "@langchain/core/tools";
import { type AgentMiddleware, createAgent, createMiddleware } from "langchain";
import { z } from "zod";
import { createAugServe } from "../langchain/index.js";
import { quantileSorted } from "../metrics/index.js";
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
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`Expected ${name} to be an integer >= 1, got ${process.argv[at + 1]}`);
  return value;
}

const median = (values: readonly number[]) =>
  quantileSorted(
    [...values].sort((a, b) => a - b),
    0.5,
  );
const round1 = (value: number) => Math.round(value * 10) / 10;

interface ArmSample {
  /** Wall time per invocation, us (sorted). */
  wall: number[];
  /** CPU time per invocation, us (mean of the arm's blocks). */
  cpu: number;
}

/**
 * Runs every arm `iterations` times per repeat, interleaved in blocks of 50 so that a change in the machine's
 * load falls on all arms alike; per repeat, each arm's sorted wall times and mean CPU time per invocation.
 */
async function sampleArms(
  names: readonly string[],
  run: (name: string, count: number, into?: number[]) => Promise<void>,
  iterations: number,
  repeats: number,
): Promise<Record<string, ArmSample>[]> {
  const perRepeat: Record<string, ArmSample>[] = [];
  const block = 50;
  for (let r = 0; r < repeats; r++) {
    const samples: Record<string, { wall: number[]; cpuUs: number; n: number }> = {};
    for (const name of names) samples[name] = { wall: [], cpuUs: 0, n: 0 };
    for (let done = 0; done < iterations; done += block) {
      const n = Math.min(block, iterations - done);
      for (const name of names) {
        const sample = samples[name]!;
        const cpu = process.cpuUsage();
        await run(name, n, sample.wall);
        const used = process.cpuUsage(cpu);
        sample.cpuUs += used.user + used.system;
        sample.n += n;
      }
    }
    const repeat: Record<string, ArmSample> = {};
    for (const [name, s] of Object.entries(samples))
      repeat[name] = { wall: s.wall.sort((a, b) => a - b), cpu: s.cpuUs / s.n };
    perRepeat.push(repeat);
  }

  return perRepeat;
}

/** The bench's figures as text, with each repeat shown beside the median. */
function printText(
  result: Record<string, unknown>,
  perRepeat: readonly Record<string, ArmSample>[],
  p50: readonly number[],
  ratio: readonly number[],
  run: { repeats: number; iterations: number; calls: number; alternatives: boolean },
): void {
  const { repeats, iterations, calls, alternatives } = run;
  console.log(
    `middleware overhead: ${repeats} repeats x ${iterations} runs per arm, ${calls} model calls per run (instant fake model)`,
  );
  const baselines = perRepeat.map((rep) => round1(quantileSorted(rep.without!.wall, 0.5) / calls));
  console.log(
    `  without middleware: p50 ${result.withoutUsPerCallP50} us/call (repeats ${baselines.join(", ")}: how loaded the machine was)`,
  );
  console.log(
    `  added by augserve(): p50 ${result.addedUsPerCallP50} us/call (repeats ${p50.map(round1).join(", ")}), ` +
      `${round1(median(ratio) * 100)}% of the agent's own time per call (repeats ${ratio.map((v) => round1(v * 100)).join(", ")}%; target <= 15%), ` +
      `p99 ${result.addedUsPerCallP99} us/call, CPU ${result.addedCpuUsPerCall} us/call`,
  );
  console.log(
    `  of which a pass-through wrapModelCall hook alone (LangChain's cost of any such middleware): p50 ${result.passThroughHooksUsPerCallP50} us/call, CPU ${result.passThroughHooksCpuUsPerCall} us/call`,
  );
  if (alternatives) {
    const alt = result.alternativesUsPerCallP50 as Record<string, number>;
    console.log(
      `  alternatives, pass-through, over no middleware: + afterAgent ${alt.plusAfterAgent}, ` +
        `+ beforeAgent & afterAgent ${alt.plusBeforeAfterAgent}, + afterModel ${alt.plusAfterModel} us/call (p50)`,
    );
  }
}

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const alternatives = process.argv.includes("--alternatives");
  const iterations = arg("--iterations", 300);
  const repeats = arg("--repeats", 5);
  const rounds = process.argv.includes("--rounds") ? arg("--rounds", 2) : 2;
  const calls = rounds + 1;
  const noop = tool(async ({ x }) => `ok ${x}`, {
    name: "noop",
    description: "Does nothing.",
    schema: z.object({ x: z.number() }),
  });
  const aug = createAugServe({ scheduler: createScheduler(), registry: null });
  // The same hook as augserve()'s (it has no tool hook by default): LangChain's own cost of such a middleware.
  const passThrough = (name: string, extra: Record<string, unknown> = {}) =>
    createMiddleware({
      name,
      wrapModelCall: (request, handler) => handler(request),
      ...extra,
    }) as AgentMiddleware;
  const arms: Record<string, AgentMiddleware[]> = {
    without: [],
    augserve: [aug.middleware()],
    wrapHooks: [passThrough("wrap-hooks")],
  };
  if (alternatives) {
    arms.plusAfterAgent = [passThrough("after-agent", { afterAgent: () => undefined })];
    arms.plusBeforeAfterAgent = [
      passThrough("before-after-agent", { beforeAgent: () => undefined, afterAgent: () => undefined }),
    ];
    arms.plusAfterModel = [passThrough("after-model", { afterModel: () => undefined })];
  }
  const agents = Object.fromEntries(
    Object.entries(arms).map(([name, middleware]) => [
      name,
      createAgent({ model: new InstantToolModel(rounds), tools: [noop], middleware }),
    ]),
  );
  const input = { messages: [{ role: "user", content: "Please do the thing with the noop tool." }] };
  const run = async (name: string, count: number, into?: number[]) => {
    const agent = agents[name]!;
    for (let i = 0; i < count; i++) {
      const start = process.hrtime.bigint();
      await agent.invoke(input);
      into?.push(Number(process.hrtime.bigint() - start) / 1000);
    }
  };
  // Warm-up: JIT, module caches, graph compilation.
  for (const name of Object.keys(agents)) await run(name, Math.min(200, iterations));
  aug.resetRecords();

  const perRepeat = await sampleArms(Object.keys(agents), run, iterations, repeats);

  /** Per repeat: the arm's added time per model call over the arm without middleware. */
  const added = (name: string, q: number) =>
    perRepeat.map(
      (rep) => (quantileSorted(rep[name]!.wall, q) - quantileSorted(rep.without!.wall, q)) / calls,
    );
  const addedCpu = (name: string) => perRepeat.map((rep) => (rep[name]!.cpu - rep.without!.cpu) / calls);
  const spread = (values: number[]) => [round1(Math.min(...values)), round1(Math.max(...values))];
  const p50 = added("augserve", 0.5);
  /** Per repeat: the p50 added time over the un-wrapped agent's own p50 time per call, measured side by side. */
  const ratio = perRepeat.map((rep, i) => p50[i]! / (quantileSorted(rep.without!.wall, 0.5) / calls));
  const result: Record<string, unknown> = {
    /** Median over repeats of the p50 added wall time per model call, us. */
    addedUsPerCallP50: round1(median(p50)),
    /** Lowest and highest repeat. */
    addedUsPerCallP50Spread: spread(p50),
    /** Median over repeats of (added p50 per call) / (the agent's own p50 per call without middleware). Target <= 0.15. */
    addedShareP50: Math.round(median(ratio) * 1000) / 1000,
    addedShareP50Spread: [Math.min(...ratio), Math.max(...ratio)].map((v) => Math.round(v * 1000) / 1000),
    addedUsPerCallP99: round1(median(added("augserve", 0.99))),
    /** Added CPU time per model call (mean per invocation / calls), median over repeats, us. */
    addedCpuUsPerCall: round1(median(addedCpu("augserve"))),
    /** Of the p50 above, what a pass-through wrapModelCall hook alone costs (LangChain's share). */
    passThroughHooksUsPerCallP50: round1(median(added("wrapHooks", 0.5))),
    passThroughHooksCpuUsPerCall: round1(median(addedCpu("wrapHooks"))),
    withoutUsPerCallP50: round1(
      median(perRepeat.map((rep) => quantileSorted(rep.without!.wall, 0.5) / calls)),
    ),
    repeats,
    runsPerArmPerRepeat: iterations,
    modelCallsPerRun: calls,
  };
  if (alternatives) {
    result.alternativesUsPerCallP50 = Object.fromEntries(
      ["plusAfterAgent", "plusBeforeAfterAgent", "plusAfterModel"].map((name) => [
        name,
        round1(median(added(name, 0.5))),
      ]),
    );
  }
  if (json) {
    console.log(JSON.stringify(result));
    return;
  }
  printText(result, perRepeat, p50, ratio, { repeats, iterations, calls, alternatives });
}

await main();
