/**
 * Test helpers of the LangChain integration tests.
 *
 * `FifoTestScheduler` is a test double of the scheduler contract (src/scheduler/types.ts): FCFS admission
 * under a token budget, exactly-once release, and counters to assert on (park/unpark, in-flight tokens).
 * It stands in where a test asserts the middleware's side of the contract; the tests that need the real
 * scheduler's ordering use `createScheduler`.
 *
 * `ScriptedToolModel` is a fake chat model that follows a script read from the first user message
 * ("rounds=2 parallel=3"), for tests of the middleware's hooks without a server.
 */

import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import type { BaseChatModelCallOptions } from "@langchain/core/language_models/chat_models";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";
import type {
  CallContext,
  CallOptions,
  CallResult,
  CallSpec,
  RunHandle,
  SchedulerApi,
  SchedulerEventName,
  SchedulerEvents,
  SchedulerSnapshot,
  ServerSignals,
} from "../../src/scheduler/types.js";

interface Waiting {
  runId: string;
  tokens: number;
  start: () => void;
}

export class FifoTestScheduler implements SchedulerApi {
  budget: number;
  /** What each run was begun with (its features, SLO, priority class and fairness key). */
  begun: Parameters<SchedulerApi["beginRun"]>[0][] = [];
  /** When set, a run's first call is refused with this error (as `overload: "shed"` refuses one). */
  refuseFirstCall: ((runId: string) => Error) | undefined;
  inFlightTokens = 0;
  inFlightCalls = 0;
  parks = 0;
  unparks = 0;
  parked = new Set<string>();
  ended = new Map<string, string>();
  admittedOrder: string[] = [];
  observed: ServerSignals[] = [];
  results: CallResult[] = [];
  #queue: Waiting[] = [];
  #callId = 0;
  #runs = 0;

  constructor(budget = 1_000_000) {
    this.budget = budget;
  }

  beginRun(options: Parameters<SchedulerApi["beginRun"]>[0]): RunHandle {
    this.begun.push(options);
    const id = options.runId ?? `run-${++this.#runs}`;
    const self = this;
    let calls = 0;
    return {
      id,
      call<T>(spec: CallSpec, fn: (ctx: CallContext) => Promise<T>, callOptions?: CallOptions): Promise<T> {
        calls += 1;
        if (calls === 1 && self.refuseFirstCall) return Promise.reject(self.refuseFirstCall(id));
        return self.#call(id, spec, fn, callOptions);
      },
      submit() {
        throw new Error("not used");
      },
      updateEstimate() {},
      park() {
        self.parks += 1;
        self.parked.add(id);
      },
      unpark() {
        self.unparks += 1;
        self.parked.delete(id);
      },
      end(outcome) {
        if (!self.ended.has(id)) self.ended.set(id, outcome);
      },
    };
  }

  #call<T>(
    runId: string,
    spec: CallSpec,
    fn: (ctx: CallContext) => Promise<T>,
    options?: CallOptions,
  ): Promise<T> {
    const tokens = spec.promptTokens + (spec.expectedOutputTokens ?? 100);
    return new Promise<T>((resolve, reject) => {
      const signal = options?.signal;
      if (signal?.aborted) return reject(signal.reason);
      const controller = new AbortController();
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.inFlightTokens -= tokens;
        this.inFlightCalls -= 1;
        this.#pump();
      };
      const entry: Waiting = {
        runId,
        tokens,
        start: () => {
          signal?.removeEventListener("abort", onQueuedAbort);
          this.admittedOrder.push(runId);
          this.inFlightTokens += tokens;
          this.inFlightCalls += 1;
          const onAbort = () => {
            controller.abort(signal?.reason);
            release();
            reject(signal?.reason);
          };
          signal?.addEventListener("abort", onAbort, { once: true });
          const ctx: CallContext = {
            runId,
            callId: ++this.#callId,
            priority: this.#callId,
            signal: controller.signal,
            onFirstToken() {},
            onTokens() {},
            setResult: (result) => {
              this.results.push(result);
            },
          };
          fn(ctx).then(
            (value) => {
              signal?.removeEventListener("abort", onAbort);
              release();
              resolve(value);
            },
            (error) => {
              signal?.removeEventListener("abort", onAbort);
              release();
              reject(error);
            },
          );
        },
      };
      const onQueuedAbort = () => {
        this.#queue = this.#queue.filter((w) => w !== entry);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onQueuedAbort, { once: true });
      this.#queue.push(entry);
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      if (this.inFlightCalls > 0 && this.inFlightTokens + head.tokens > this.budget) return;
      this.#queue.shift();
      head.start();
    }
  }

  observe(signals: ServerSignals): void {
    this.observed.push(signals);
  }

  snapshot(): SchedulerSnapshot {
    return {
      policy: "fcfs",
      now: performance.now(),
      queued: this.#queue.length,
      inFlightCalls: this.inFlightCalls,
      inFlightTokens: this.inFlightTokens,
      budgetTokens: this.budget,
      activeRuns: 0,
      parkedRuns: this.parked.size,
      counters: { admitted: 0, completed: 0, failed: 0, aborted: 0, rejected: 0, promoted: 0 },
    };
  }

  on<E extends SchedulerEventName>(_event: E, _listener: (payload: SchedulerEvents[E]) => void): () => void {
    return () => {};
  }
}

/** Parses "rounds=N parallel=M" from the first human message. */
function scriptOf(messages: BaseMessage[]): { rounds: number; parallel: number } {
  const first = messages.find((m) => m.getType() === "human");
  const text = typeof first?.content === "string" ? first.content : "";
  const rounds = Number(/rounds=(\d+)/.exec(text)?.[1] ?? 0);
  const parallel = Number(/parallel=(\d+)/.exec(text)?.[1] ?? 1);
  return { rounds, parallel };
}

export interface ScriptedToolModelOptions {
  /** Tool to call in each round. @default "lookup" */
  tool?: string;
  /** Delay before the response, ms. */
  delayMs?: number;
  /** Throw this on every call. */
  error?: Error;
}

/** A fake tool-calling chat model following the script in the first user message. */
export class ScriptedToolModel extends BaseChatModel {
  readonly opts: ScriptedToolModelOptions;
  calls = 0;

  constructor(opts: ScriptedToolModelOptions = {}) {
    super({});
    this.opts = opts;
  }

  override _llmType(): string {
    return "scripted";
  }

  override bindTools(): this {
    return this;
  }

  #respond(messages: BaseMessage[]): AIMessage {
    this.calls += 1;
    if (this.opts.error) throw this.opts.error;
    const { rounds, parallel } = scriptOf(messages);
    const done = messages.filter((m) => m.getType() === "ai").length;
    const usage = { input_tokens: 40, output_tokens: 12, total_tokens: 52 };
    if (done < rounds) {
      const tool_calls = Array.from({ length: parallel }, (_, i) => ({
        id: `call_${done}_${i}`,
        name: this.opts.tool ?? "lookup",
        args: { query: `q${done}.${i}` },
        type: "tool_call" as const,
      }));
      return new AIMessage({ content: "", tool_calls, usage_metadata: usage });
    }
    return new AIMessage({ content: "final answer after tools", usage_metadata: usage });
  }

  override async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"]): Promise<ChatResult> {
    if (this.opts.delayMs) await sleep(this.opts.delayMs, options.signal);
    const message = this.#respond(messages);
    return { generations: [{ text: message.text, message }] };
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    if (this.opts.delayMs) await sleep(this.opts.delayMs, options.signal);
    const message = this.#respond(messages);
    const words = message.text.split(" ").filter((w) => w !== "");
    for (const [i, word] of words.entries()) {
      const text = i === 0 ? word : ` ${word}`;
      const chunk = new ChatGenerationChunk({ text, message: new AIMessageChunk({ content: text }) });
      await runManager?.handleLLMNewToken(text, undefined, undefined, undefined, undefined, { chunk });
      yield chunk;
    }
    const last = new AIMessageChunk({
      content: "",
      tool_call_chunks: (message.tool_calls ?? []).map((c, index) => ({
        id: c.id,
        name: c.name,
        args: JSON.stringify(c.args),
        index,
        type: "tool_call_chunk" as const,
      })),
      usage_metadata: message.usage_metadata,
    });
    yield new ChatGenerationChunk({ text: "", message: last });
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

export type { BaseChatModelCallOptions };
