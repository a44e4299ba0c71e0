/**
 * Passing the scheduler's priority to a vLLM server started with `--scheduling-policy priority`, as the
 * `priority` field of the request body (lower is served first, as vLLM orders it).
 *
 * Why a derived model and not call options: ChatOpenAI builds the request body from its constructor
 * fields (`modelKwargs` are spread into every request) and from a fixed list of call options; an unknown
 * call option (what `modelSettings` would add) never reaches the body, and the OpenAI SDK's `body` request
 * option replaces the whole body. So for each priority value we derive, once, a ChatOpenAI with the same
 * fields plus `modelKwargs.priority`, and cache it per (model, priority).
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { ChatOpenAI } from "@langchain/openai";
import { countsTokensLocally, isChatOpenAI, localTokenCounts } from "./token-counts.js";

/** Distinct priority values cached per model; beyond it the oldest is dropped. */
const MAX_CACHED_PRIORITIES = 256;
const cache = new WeakMap<object, Map<number, BaseChatModel>>();

/** True when {@link withPriority} can pass a priority for this model. */
export function supportsPriority(model: unknown): boolean {
  return isChatOpenAI(model);
}

/**
 * The model that sends `priority` in every request body: a ChatOpenAI with the same fields and default
 * call options plus `modelKwargs.priority`. Models other than ChatOpenAI are returned unchanged.
 *
 * @example
 * ```ts
 * const urgent = withPriority(new ChatOpenAI({ model: "llama", configuration: { baseURL } }), 0);
 * ```
 */
export function withPriority<M extends object>(model: M, priority: number): M {
  if (!supportsPriority(model)) return model;
  const openai = model as unknown as ChatOpenAI;
  let byPriority = cache.get(model);
  if (byPriority === undefined) {
    byPriority = new Map();
    cache.set(model, byPriority);
  }
  const hit = byPriority.get(priority);
  if (hit !== undefined) return hit as unknown as M;
  // `lc_kwargs` are the constructor fields (public); `defaultOptions` (call options bound with
  // `withConfig`) are protected in the typings but part of the model's state, so they are carried over.
  const fields = openai.lc_kwargs as ConstructorParameters<typeof ChatOpenAI>[0] & object;
  // The model's own class (ChatOpenAI or a subclass), from the user's copy of the package.
  const Model = openai.constructor as typeof ChatOpenAI;
  const derived = new Model({ ...fields, modelKwargs: { ...(openai.modelKwargs ?? {}), priority } });
  if (countsTokensLocally(model)) localTokenCounts(derived);
  const carried = derived as unknown as { defaultOptions: unknown };
  carried.defaultOptions = { ...(model as unknown as { defaultOptions?: object }).defaultOptions };
  if (byPriority.size >= MAX_CACHED_PRIORITIES) {
    const oldest = byPriority.keys().next().value;
    if (oldest !== undefined) byPriority.delete(oldest);
  }
  byPriority.set(priority, derived);
  return derived as unknown as M;
}
