/**
 * `withAugServe(model)`: a chat model that schedules every call of the model it wraps, for code that does
 * not use `createAgent` (hand-built LangGraph graphs, chains, plain `invoke`/`stream`).
 *
 * A call joins the run named by `configurable.augserveRunId` (or `metadata.augserveRunId`), begun on its
 * first call and ended by `AugServe.endRun()`/`endRunById()`; without one, each call is its own run.
 * `bindTools`, `withConfig`, streaming and call options reach the wrapped model; chunks (tool-call deltas
 * included) are yielded as the wrapped model yields them. `withStructuredOutput` is the wrapped model's own,
 * scheduled. `invoke` returns an `AIMessageChunk`, as its type says (ChatOpenAI's own `invoke` returns an
 * `AIMessage` typed as a chunk); `instanceof AIMessage` holds for it too.
 */
import type {
  BaseLanguageModelInput,
  StructuredOutputMethodOptions,
} from "@langchain/core/language_models/base";
import {
  BaseChatModel,
  type BaseChatModelCallOptions,
  type BindToolsInput,
} from "@langchain/core/language_models/chat_models";
import type { AIMessageChunk, BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { Runnable } from "@langchain/core/runnables";
import type { SerializableSchema } from "@langchain/core/utils/standard_schema";
import type { InteropZodType } from "@langchain/core/utils/types";
import { describeValue } from "../util/index.js";
import type { AugServe } from "./augserve.js";
import type { ActiveCall, InvokableModel } from "./call-model.js";
import { AugServeInvalidModelError } from "./errors.js";
import { decorateOptions, willStream } from "./observer.js";
import { withPriority } from "./priority.js";
import { toChunk } from "./responses.js";
import { hasStructuredOutput, ScheduledStructuredOutput } from "./structured.js";
import type { BindableTool } from "./tokens.js";
import { endCallRun, modelNameOf, runForCall, toMessages } from "./wrapper-runs.js";

export { RUN_ID_KEY } from "./wrapper-runs.js";

/** A structured-output schema: a Zod schema, a Standard Schema, or a JSON schema object. */
type StructuredSchema<RunOutput> =
  | InteropZodType<RunOutput>
  | SerializableSchema<RunOutput>
  | Record<string, unknown>;

/** Throws `AugServeInvalidModelError` unless `model` can be invoked like a chat model. */
export function assertInvokableModel(model: unknown): asserts model is InvokableModel {
  const invokable =
    (typeof model === "object" || typeof model === "function") &&
    model !== null &&
    typeof (model as { invoke?: unknown }).invoke === "function" &&
    (model instanceof BaseChatModel || Runnable.isRunnable(model));
  if (!invokable) throw new AugServeInvalidModelError(describeValue(model));
}

/** A `BaseChatModel` that delegates to another and schedules its calls. Create it with `withAugServe`. */
export class AugServeChatModel extends BaseChatModel {
  readonly #inner: InvokableModel;
  readonly #aug: AugServe;
  readonly #tools: readonly BindableTool[];
  readonly #modelName: string;

  constructor(inner: InvokableModel, aug: AugServe, tools: readonly BindableTool[] = [], modelName?: string) {
    assertInvokableModel(inner);
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

  /** The AugServe instance that schedules this model's calls. */
  get augserve(): AugServe {
    return this.#aug;
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

  /**
   * The wrapped model's `withStructuredOutput(schema, config)`, each call scheduled: the request is the one
   * the wrapped model makes (ChatOpenAI sends `response_format` for `method: "jsonSchema"`), and the result
   * is what it returns.
   */
  override withStructuredOutput<RunOutput extends Record<string, unknown> = Record<string, unknown>>(
    outputSchema: StructuredSchema<RunOutput>,
    config?: StructuredOutputMethodOptions<false>,
  ): Runnable<BaseLanguageModelInput, RunOutput>;
  override withStructuredOutput<RunOutput extends Record<string, unknown> = Record<string, unknown>>(
    outputSchema: StructuredSchema<RunOutput>,
    config?: StructuredOutputMethodOptions<true>,
  ): Runnable<BaseLanguageModelInput, { raw: BaseMessage; parsed: RunOutput }>;
  override withStructuredOutput<RunOutput extends Record<string, unknown> = Record<string, unknown>>(
    schema: StructuredSchema<RunOutput>,
    config?: StructuredOutputMethodOptions<boolean>,
  ):
    | Runnable<BaseLanguageModelInput, RunOutput>
    | Runnable<BaseLanguageModelInput, { raw: BaseMessage; parsed: RunOutput }> {
    const inner = this.#inner;
    if (!hasStructuredOutput(inner))
      throw new TypeError("The wrapped model does not support withStructuredOutput()");
    return new ScheduledStructuredOutput<RunOutput>(
      this.#aug,
      inner,
      (model) => model.withStructuredOutput(schema, config),
      this.#modelName,
    );
  }

  override async invoke(
    input: BaseLanguageModelInput,
    options?: BaseChatModelCallOptions,
  ): Promise<AIMessageChunk> {
    const messages = toMessages(input);
    const { run, ephemeral } = runForCall(this.#aug, messages, this.#tools, options);
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
      endCallRun(this.#aug, run, ephemeral, true, options?.signal);
      return toChunk(result);
    } catch (error) {
      endCallRun(this.#aug, run, ephemeral, false, options?.signal);
      throw error;
    }
  }

  override async *_streamIterator(
    input: BaseLanguageModelInput,
    options?: BaseChatModelCallOptions,
  ): AsyncGenerator<AIMessageChunk> {
    const messages = toMessages(input);
    const { run, ephemeral } = runForCall(this.#aug, messages, this.#tools, options);
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
    let ok = false;
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
        // Also reached when the consumer stops early: the call ends and its budget is released. A stream cut
        // before its end (no finish reason) fails the call there, after its chunks were yielded.
        if (aggregate !== undefined) finish(aggregate);
        else abandon(new Error("augserve: stream ended without a chunk"));
      }
      await settled;
      ok = true;
    } finally {
      settled.catch(() => {});
      endCallRun(this.#aug, run, ephemeral, ok, options?.signal);
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
}
