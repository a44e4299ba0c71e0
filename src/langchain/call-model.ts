/**
 * The model a middleware-scheduled call hands to the agent's model handler: it delegates every call to
 * the agent's model and adds, for this call only, the token observer, the call's abort signal and (with
 * `serverPriority`) the scheduler's priority. It stays a `BaseChatModel` so that `createAgent` binds tools
 * to it as to the original; messages, chunks and tool-call deltas pass through unchanged.
 */
import type { BaseLanguageModelInput } from "@langchain/core/language_models/base";
import {
  BaseChatModel,
  type BaseChatModelCallOptions,
  type BindToolsInput,
} from "@langchain/core/language_models/chat_models";
import type { AIMessageChunk, BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import type { Runnable } from "@langchain/core/runnables";
import { type CallObserver, decorateOptions, willStream } from "./observer.js";
import { withPriority } from "./priority.js";

/** A model or a tool-bound model: anything that can be invoked with messages. */
export type InvokableModel = Runnable<BaseLanguageModelInput, AIMessageChunk, BaseChatModelCallOptions>;

/** What one admitted call adds to the model invocation. */
export interface ActiveCall {
  observer: CallObserver;
  signal: AbortSignal | undefined;
  /** vLLM priority to send, or undefined to send none. */
  priority: number | undefined;
}

function hasBindTools(model: unknown): model is {
  bindTools(tools: BindToolsInput[], kwargs?: Partial<BaseChatModelCallOptions>): InvokableModel;
} {
  return typeof (model as { bindTools?: unknown }).bindTools === "function";
}

/** Delegates to `inner`, decorating each invocation with one call's observer, signal and priority. */
export class CallBoundModel extends BaseChatModel {
  readonly #inner: InvokableModel;
  readonly #call: ActiveCall;

  constructor(inner: InvokableModel, call: ActiveCall) {
    super({});
    this.#inner = inner;
    this.#call = call;
  }

  /** True when the agent can bind tools to this model (the inner model can). */
  static canWrap(model: unknown): model is InvokableModel {
    return hasBindTools(model) && typeof (model as { invoke?: unknown }).invoke === "function";
  }

  override _llmType(): string {
    return "augserve-call";
  }

  /** The inner model's profile (capabilities), which `createAgent` reads for structured output. */
  override get profile(): BaseChatModel["profile"] {
    return (this.#inner as unknown as { profile?: BaseChatModel["profile"] }).profile ?? {};
  }

  override bindTools(tools: BindToolsInput[], kwargs?: Partial<BaseChatModelCallOptions>): CallBoundModel {
    const base: unknown =
      this.#call.priority === undefined ? this.#inner : withPriority(this.#inner, this.#call.priority);
    if (!hasBindTools(base)) throw new TypeError("The wrapped model does not support bindTools()");
    return new CallBoundModel(base.bindTools(tools, kwargs), this.#call);
  }

  override invoke(
    input: BaseLanguageModelInput,
    options?: BaseChatModelCallOptions,
  ): Promise<AIMessageChunk> {
    const model =
      this.#call.priority === undefined ? this.#inner : withPriority(this.#inner, this.#call.priority);
    const observer = willStream(options, model) ? this.#call.observer : undefined;
    return (model as InvokableModel).invoke(input, decorateOptions(options, observer, this.#call.signal));
  }

  override async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"]): Promise<ChatResult> {
    const message = await this.invoke(messages, options);
    return { generations: [{ text: message.text, message }] };
  }
}
