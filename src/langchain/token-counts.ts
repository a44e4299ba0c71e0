/**
 * Offline token counting for LangChain models (issue 14, defect 10).
 *
 * What downloads: `BaseLanguageModel.getNumTokens()` (@langchain/core) encodes text with js-tiktoken, whose
 * tables it fetches on first use from `https://tiktoken.pages.dev/js/<encoding>.json` (`gpt2.json` for
 * ChatOpenAI, which has no `modelName` field), through an `AsyncCaller` with 6 retries and exponential
 * back-off. A failed download is not cached, so offline every count waits for all retries (about a minute
 * when DNS fails at once, longer where packets are dropped) and then falls back to characters / 4.
 *
 * Who counts: `ChatOpenAI({ streaming: true }).invoke()` (the non-streaming entry point of a streaming model)
 * consumes its own stream and then estimates the prompt's and the completion's tokens with `getNumTokens()`
 * for `llmOutput.estimatedTokenUsage`, on every call, even when the server reported usage. So does any
 * code that calls `getNumTokens()` / `getNumTokensFromMessages()` (e.g. a token counter of trimming or
 * context-editing middleware left at its model-based default).
 *
 * The supported ways around it: do not set `streaming: true`; stream with `model.stream()`, the agent's
 * `stream(..., { streamMode: "messages" })` or `streamEvents()`, or a callback handler with
 * `lc_prefer_streaming`: LangChain then reads the stream through `_streamResponseChunks`, which counts nothing
 * (the server's `usage` chunk gives the counts). Where `streaming: true` must stay, override `getNumTokens`:
 * {@link localTokenCounts} does, with the same approximation LangChain falls back to.
 */

type Content = string | readonly (string | { type?: string; text?: unknown })[];

/** Characters / 4, rounded up: LangChain's own fallback when tiktoken is unavailable. */
export function approximateTokenCount(content: Content): number {
  let text = "";
  if (typeof content === "string") text = content;
  else {
    for (const part of content) {
      if (typeof part === "string") text += part;
      else if (part.type === "text" && typeof part.text === "string") text += part.text;
    }
  }
  return Math.ceil(text.length / 4);
}

/** The marker {@link localTokenCounts} leaves on a model. */
const LOCAL_COUNTS = Symbol.for("augserve.localTokenCounts");

/**
 * Makes `model` count tokens locally (characters / 4) instead of downloading tiktoken's tables, so that
 * `streaming: true` and token-counting middleware work offline. Returns the same model object.
 *
 * @example
 * ```ts
 * const model = localTokenCounts(new ChatOpenAI({ model, streaming: true, configuration: { baseURL } }));
 * ```
 */
export function localTokenCounts<M extends object>(model: M): M {
  // ChatOpenAI delegates its calls to the Chat Completions and Responses models it holds, which count tokens
  // themselves: they get the local count too.
  const holders: object[] = [model];
  for (const key of ["completions", "responses"]) {
    const inner = (model as Record<string, unknown>)[key];
    if (
      typeof inner === "object" &&
      inner !== null &&
      typeof (inner as { getNumTokens?: unknown }).getNumTokens === "function"
    )
      holders.push(inner);
  }
  for (const holder of holders) {
    Object.defineProperty(holder, "getNumTokens", {
      value: async (content: Content) => approximateTokenCount(content),
      configurable: true,
      writable: true,
    });
  }
  Object.defineProperty(model, LOCAL_COUNTS, { value: true, configurable: true });
  return model;
}

/** Whether {@link localTokenCounts} was applied to `model`. */
export function countsTokensLocally(model: object): boolean {
  return (model as { [LOCAL_COUNTS]?: unknown })[LOCAL_COUNTS] === true;
}

/**
 * Whether `model` is a ChatOpenAI (or a subclass), recognised by LangChain's serialisable class name along its
 * prototype chain instead of `instanceof`: `@langchain/openai` is an optional peer of this package (a user of
 * another provider needs none), and `instanceof` would also miss a second copy of the package.
 */
export function isChatOpenAI(model: unknown): boolean {
  let proto = typeof model === "object" && model !== null ? Object.getPrototypeOf(model) : null;
  while (proto !== null && proto !== Object.prototype) {
    const ctor = (proto as { constructor?: { lc_name?: unknown } }).constructor;
    if (ctor !== undefined && Object.hasOwn(ctor, "lc_name") && typeof ctor.lc_name === "function") {
      if ((ctor.lc_name as () => unknown)() === "ChatOpenAI") return true;
    }
    proto = Object.getPrototypeOf(proto);
  }
  return false;
}

/** Whether calling `model` would download tokenizer tables (a ChatOpenAI with `streaming: true`, counts not local). */
export function downloadsTokenizer(model: unknown): boolean {
  const m = model as { streaming?: unknown; [LOCAL_COUNTS]?: unknown } | null;
  return m?.streaming === true && m[LOCAL_COUNTS] !== true && isChatOpenAI(model);
}
