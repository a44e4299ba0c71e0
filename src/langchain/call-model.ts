/**
 * The model a middleware-scheduled call hands to the agent's model handler: the agent's own model, seen
 * through a Proxy that adds, to this call only, the token observer and the call's abort signal to every
 * `invoke` (also of the model `bindTools` returns). Everything else (the class, `profile`, `withConfig`,
 * token counting) is the model's own, so `createAgent` binds tools, picks its structured-output strategy and
 * sends the request as it would without the middleware.
 *
 * Why not the request's `modelSettings`: ChatOpenAI's `bindTools` keeps them as default call options, which
 * the agent's own `signal` and `callbacks` then replace at invoke time. Why not a `BaseChatModel` subclass:
 * its constructor (run in every call, twice with `bindTools`) cost more than the rest of the middleware.
 */
import type { BaseLanguageModelInput } from "@langchain/core/language_models/base";
import type { BaseChatModelCallOptions, BindToolsInput } from "@langchain/core/language_models/chat_models";
import type { AIMessageChunk } from "@langchain/core/messages";
import type { Runnable } from "@langchain/core/runnables";
import { type CallObserver, decorateOptions, willStream } from "./observer.js";

/** A model or a tool-bound model: anything that can be invoked with messages. */
export type InvokableModel = Runnable<BaseLanguageModelInput, AIMessageChunk, BaseChatModelCallOptions>;

/** What one admitted call adds to the model invocation. */
export interface ActiveCall {
  /** The call's first-token observer (made on first access: attach it only to a call that streams). */
  readonly observer: CallObserver;
  /** Aborted when the caller aborts, at the call's time-out, or when a followed signal aborts. */
  readonly signal: AbortSignal;
  /** vLLM priority to send, or undefined to send none. */
  priority: number | undefined;
  /**
   * Whether the latest invocation of the model within this call threw (a retry or fallback middleware inside
   * `augserve()` may then return a message of its own: the call failed, whatever the handler returns).
   */
  lastInvokeFailed: boolean;
  /** From now on the call (its request, and its admission) aborts when `signal` does. */
  follow(signal: AbortSignal): void;
  /** Stops following `signal`. */
  unfollow(signal: AbortSignal): void;
}

interface BindsTools {
  bindTools(tools: BindToolsInput[], kwargs?: Partial<BaseChatModelCallOptions>): unknown;
  invoke(input: BaseLanguageModelInput, options?: BaseChatModelCallOptions): Promise<unknown>;
}

/**
 * `model` as the agent's handler should call it within one admitted call: `invoke` gets the call's signal
 * in place of its own (which then aborts the call) and, when the invocation streams (see `willStream`), the
 * first-token observer; `bindTools` returns a model bound the same way.
 * Other members are the model's (methods bound to it, so private fields keep working).
 */
export function bindCall<M extends object>(model: M, call: ActiveCall): M {
  const target = model as unknown as BindsTools;
  const invoke = async (input: BaseLanguageModelInput, options?: BaseChatModelCallOptions) => {
    const observer = willStream(options, target) ? call.observer : undefined;
    // The agent's signal for this model call (its step's, and `createAgent`'s own) aborts the call, which
    // aborts the request through the call's signal: one listener instead of `AbortSignal.any`. The listener
    // is removed when the call settles: Node keeps an `AbortSignal.any` signal that has listeners (the
    // agent's is one) alive until it aborts, so a listener left on it would leak the whole invocation.
    const outer = options?.signal;
    const follows = outer !== undefined && outer !== call.signal;
    if (follows) call.follow(outer);
    try {
      const result = await target.invoke(input, decorateOptions(options, observer, call.signal));
      call.lastInvokeFailed = false;
      return result;
    } catch (error) {
      call.lastInvokeFailed = true;
      throw error;
    } finally {
      if (follows) call.unfollow(outer);
    }
  };
  const bindTools = (tools: BindToolsInput[], kwargs?: Partial<BaseChatModelCallOptions>) =>
    bindCall(target.bindTools(tools, kwargs) as object, call);
  let bound: Map<PropertyKey, unknown> | undefined;
  return new Proxy(model, {
    get(self, property) {
      if (property === "invoke") return invoke;
      if (property === "bindTools" && typeof target.bindTools === "function") return bindTools;
      const value = Reflect.get(self, property, self);
      if (typeof value !== "function" || property === "constructor") return value;
      bound ??= new Map();
      let method = bound.get(property);
      if (method === undefined) {
        method = (value as (...args: unknown[]) => unknown).bind(self);
        bound.set(property, method);
      }
      return method;
    },
  });
}
