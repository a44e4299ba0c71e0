/**
 * `withAugServe(model)`: a chat model that schedules every call of the model it wraps, for code that does
 * not use `createAgent` (hand-built LangGraph graphs, chains, plain `invoke`/`stream`).
 *
 * A call joins the run named by `configurable.augserveRunId` (or `metadata.augserveRunId`), begun on its
 * first call and ended by `AugServe.endRun()`/`endRunById()`; without one, each call is its own run.
 * `bindTools`, `withConfig`, `withStructuredOutput`, streaming and call options all reach the wrapped
 * model; chunks (tool-call deltas included) are yielded as the wrapped model yields them.
 */
import type { BaseLanguageModelInput } from "@langchain/core/language_models/base";
import {
  BaseChatModel,
  type BaseChatModelCallOptions,
  type BindToolsInput,
} from "@langchain/core/language_models/chat_models";
import {
  type AIMessageChunk,
  type BaseMessage,
  coerceMessageLikeToMessage,
  HumanMessage,
} from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import type { AugServe } from "./augserve.js";
import type { ActiveCall, InvokableModel } from "./call-model.js";
import { decorateOptions, willStream } from "./observer.js";
import { withPriority } from "./priority.js";
import type { TrackedRun } from "./run-state.js";
import type { BindableTool } from "./tokens.js";

/** The key a call's `configurable` or `metadata` carries its run id under. */
export const RUN_ID_KEY = "augserveRunId";

function toMessages(input: BaseLanguageModelInput): BaseMessage[] {
  if (typeof input === "string") return [new HumanMessage(input)];
  if (Array.isArray(input)) return input.map((m) => coerceMessageLikeToMessage(m));
  const value = input as { toChatMessages?: () => BaseMessage[] };
  return typeof value.toChatMessages === "function" ? value.toChatMessages() : [];
}

function modelNameOf(model: unknown): string {
  const m = model as { model?: unknown; _llmType?: () => string };
  if (typeof m.model === "string") return m.model;
  return typeof m._llmType === "function" ? m._llmType() : "unknown";
}

/** A `BaseChatModel` that delegates to another and schedules its calls. Create it with `withAugServe`. */
export class AugServeChatModel extends BaseChatModel {
  readonly #inner: InvokableModel;
  readonly #aug: AugServe;
  readonly #tools: readonly BindableTool[];
  readonly #modelName: string;

  constructor(inner: InvokableModel, aug: AugServe, tools: readonly BindableTool[] = [], modelName?: string) {
    super({});
    this.#inner = inner;
    this.#aug = aug;
    this.#tools = tools;
    this.#modelName = modelName ?? modelNameOf(inner);
  }

  /** The wrapped model. */
  get wrapped(): InvokableModel {
    return this.#inner;
  }

  override _llmType(): string {
    return "augserve";
  }

  override get profile(): BaseChatModel["profile"] {
    return (this.#inner as unknown as { profile?: BaseChatModel["profile"] }).profile ?? {};
  }

  override bindTools(tools: BindToolsInput[], kwargs?: Partial<BaseChatModelCallOptions>): AugServeChatModel {
    const inner = this.#inner as unknown as {
      bindTools?: (t: BindToolsInput[], k?: unknown) => InvokableModel;
    };
    if (typeof inner.bindTools !== "function")
      throw new TypeError("The wrapped model does not support bindTools()");
    return new AugServeChatModel(
      inner.bindTools(tools, kwargs),
      this.#aug,
      tools as BindableTool[],
      this.#modelName,
    );
  }

  override async invoke(
    input: BaseLanguageModelInput,
    options?: BaseChatModelCallOptions,
  ): Promise<AIMessageChunk> {
    const messages = toMessages(input);
    const { run, ephemeral } = this.#runFor(messages, options);
    try {
      const result = await this.#aug.callModel(
        run,
        { messages, tools: this.#tools, modelName: this.#modelName },
        (call) => {
          const model = this.#model(call);
          const observer = willStream(options, model) ? call.observer : undefined;
          return model.invoke(input, decorateOptions(options, observer, call.signal));
        },
        options?.signal,
      );
      if (ephemeral) this.#aug.endRun(run, "ok");
      return result;
    } catch (error) {
      if (ephemeral) this.#aug.endRun(run, options?.signal?.aborted ? "aborted" : "error");
      throw error;
    }
  }

  override async *_streamIterator(
    input: BaseLanguageModelInput,
    options?: BaseChatModelCallOptions,
  ): AsyncGenerator<AIMessageChunk> {
    const messages = toMessages(input);
    const { run, ephemeral } = this.#runFor(messages, options);
    // The scheduler holds the call's budget until `finished` settles, i.e. while the stream is consumed.
    let finish!: (message: AIMessageChunk) => void;
    let abandon!: (error: unknown) => void;
    const finished = new Promise<AIMessageChunk>((resolve, reject) => {
      finish = resolve;
      abandon = reject;
    });
    let admit!: (call: ActiveCall) => void;
    const admitted = new Promise<ActiveCall>((resolve) => {
      admit = resolve;
    });
    const settled = this.#aug.callModel(
      run,
      { messages, tools: this.#tools, modelName: this.#modelName },
      (call) => {
        admit(call);
        return finished;
      },
      options?.signal,
    );
    let outcome: "ok" | "error" | "aborted" = "error";
    try {
      const call = await Promise.race([admitted, settled]);
      if (!("observer" in call)) throw new Error("augserve: call settled before admission");
      let aggregate: AIMessageChunk | undefined;
      try {
        const stream = await this.#model(call).stream(
          input,
          decorateOptions(options, call.observer, call.signal),
        );
        for await (const chunk of stream) {
          aggregate = aggregate === undefined ? chunk : aggregate.concat(chunk);
          yield chunk;
        }
      } catch (error) {
        abandon(error);
        throw error;
      } finally {
        // Also reached when the consumer stops early: the call ends and its budget is released.
        if (aggregate !== undefined) finish(aggregate);
        else abandon(new Error("augserve: stream ended without a chunk"));
      }
      await settled;
      outcome = "ok";
    } finally {
      settled.catch(() => {});
      if (ephemeral)
        this.#aug.endRun(run, outcome === "ok" ? "ok" : options?.signal?.aborted ? "aborted" : "error");
    }
  }

  override async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"]): Promise<ChatResult> {
    const message = await this.invoke(messages, options);
    return { generations: [{ text: message.text, message }] };
  }

  #model(call: ActiveCall): InvokableModel {
    return call.priority === undefined
      ? this.#inner
      : (withPriority(this.#inner, call.priority) as InvokableModel);
  }

  #runFor(
    messages: BaseMessage[],
    options: BaseChatModelCallOptions | undefined,
  ): { run: TrackedRun; ephemeral: boolean } {
    const id = options?.configurable?.[RUN_ID_KEY] ?? options?.metadata?.[RUN_ID_KEY];
    const threadId = options?.configurable?.thread_id;
    const common = {
      messages,
      tools: this.#tools,
      ...(typeof threadId === "string" ? { threadId } : {}),
    };
    if (typeof id !== "string") return { run: this.#aug.beginRun(common), ephemeral: true };
    return { run: this.#aug.getRun(id) ?? this.#aug.beginRun({ ...common, runId: id }), ephemeral: false };
  }
}
