/**
 * `withAugServe(model).withStructuredOutput(schema)`: the wrapped model's own structured output (so its
 * provider-specific method applies: `response_format` / JSON schema for ChatOpenAI, tool calling elsewhere),
 * with each call scheduled. It returns what the wrapped model's structured runnable returns (the parsed
 * object, or `{ raw, parsed }` with `includeRaw`). Usage and the finish reason come from the call's callback
 * observer, since the result is not a message.
 */
import type { BaseLanguageModelInput } from "@langchain/core/language_models/base";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import { Runnable, type RunnableConfig } from "@langchain/core/runnables";
import type { AugServe } from "./augserve.js";
import type { InvokableModel } from "./call-model.js";
import { decorateOptions } from "./observer.js";
import { withPriority } from "./priority.js";
import { endCallRun, runForCall, toMessages } from "./wrapper-runs.js";

/** With `includeRaw`, the model's message is in the result; otherwise the call's observer has it. */
function rawMessageOf(result: unknown): BaseMessage | undefined {
  const raw = (result as { raw?: unknown } | null)?.raw;
  return AIMessage.isInstance(raw) ? raw : undefined;
}

/** A model that has `withStructuredOutput` (a `BaseChatModel`). */
export interface StructuredCapable {
  withStructuredOutput(schema: unknown, config?: unknown): Runnable<BaseLanguageModelInput, unknown>;
}

export function hasStructuredOutput(model: unknown): model is StructuredCapable {
  return typeof (model as { withStructuredOutput?: unknown } | null)?.withStructuredOutput === "function";
}

/** The scheduled structured-output runnable of a wrapped model. */
export class ScheduledStructuredOutput<RunOutput> extends Runnable<BaseLanguageModelInput, RunOutput> {
  lc_namespace = ["augserve", "structured_output"];
  readonly #aug: AugServe;
  readonly #inner: InvokableModel & StructuredCapable;
  readonly #build: (model: StructuredCapable) => Runnable<BaseLanguageModelInput, unknown>;
  readonly #modelName: string;
  /** The structured runnable per priority value sent (`undefined`: none), built once each. */
  readonly #byPriority = new Map<number | undefined, Runnable<BaseLanguageModelInput, unknown>>();

  constructor(
    aug: AugServe,
    inner: InvokableModel & StructuredCapable,
    build: (model: StructuredCapable) => Runnable<BaseLanguageModelInput, unknown>,
    modelName: string,
  ) {
    super();
    this.#aug = aug;
    this.#inner = inner;
    this.#build = build;
    this.#modelName = modelName;
  }

  #runnable(priority: number | undefined): Runnable<BaseLanguageModelInput, unknown> {
    let runnable = this.#byPriority.get(priority);
    if (runnable === undefined) {
      const model = priority === undefined ? this.#inner : withPriority(this.#inner, priority);
      runnable = this.#build(model as StructuredCapable);
      this.#byPriority.set(priority, runnable);
    }
    return runnable;
  }

  override async invoke(
    input: BaseLanguageModelInput,
    options?: Partial<RunnableConfig>,
  ): Promise<RunOutput> {
    const messages = toMessages(input);
    const { run, ephemeral } = runForCall(this.#aug, messages, [], options);
    try {
      const result = await this.#aug.callModel(
        run,
        { messages, tools: [], modelName: this.#modelName },
        (call) =>
          this.#runnable(call.priority).invoke(
            input,
            decorateOptions(options as RunnableConfig | undefined, call.observer, call.signal),
          ),
        options?.signal,
        rawMessageOf,
      );
      endCallRun(this.#aug, run, ephemeral, true, options?.signal);
      return result as RunOutput;
    } catch (error) {
      endCallRun(this.#aug, run, ephemeral, false, options?.signal);
      throw error;
    }
  }
}
