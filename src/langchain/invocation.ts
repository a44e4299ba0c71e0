/**
 * Which agent invocation a middleware hook belongs to, read from the LangGraph runtime the hook is given.
 *
 * LangChain's middleware API has no invocation id, and every graph node the middleware could add to learn
 * one (`beforeAgent`, `afterAgent`, `afterModel`) costs the agent a whole graph step per invocation or per
 * call (measured by `npm run bench:middleware -- --alternatives`). LangGraph does create a few objects once
 * per `invoke()` / `stream()` / `streamEvents()` and hands them to every node of that invocation:
 *
 * - the invocation's abort signal (the caller's signal combined with the stream's own controller), which the
 *   runner keeps in `configurable.__pregel_abort_signals.externalAbortSignal` so that every step and every
 *   subgraph listens to it;
 * - the stream writer, `runtime.writer` (public), created by each invocation unless the caller passed one.
 *
 * Their identity is the invocation's identity: exact for concurrent invocations, summarised or rewritten
 * messages and shared message objects, at the cost of a property read. A subagent called inside a tool of
 * another agent inherits both from its parent's config, so the graph's checkpoint namespace (`scope`) tells
 * the nested graph from its parent. All reads of LangGraph internals are in this module.
 *
 * `stepSignal` (`runtime.signal`) is the signal of the current graph step: LangGraph aborts it when a task of
 * the step fails (so the step, and the invocation, fail) or when the invocation is aborted; it never aborts
 * once the step is over. That is how a run learns, exactly and before the caller does, that its invocation
 * failed inside a model call or a tool phase.
 */

/** The part of LangChain's middleware runtime read here (a subset of `Runtime`). */
export interface RuntimeLike {
  readonly configurable?: Record<string, unknown> | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly writer?: unknown;
  readonly context?: unknown;
}

/** Where a hook runs. */
export interface InvocationView {
  /**
   * An object unique to the graph invocation (weakly held by the middleware). Undefined outside LangGraph,
   * when nothing identifies the invocation.
   */
  readonly key: object | undefined;
  /** The graph within the invocation: `""` for the agent invoked, the parent task's namespace for a subagent. */
  readonly scope: string;
  /** `configurable.thread_id`, when the caller gave one (a checkpointer's conversation). */
  readonly threadId: string | undefined;
  /** Signal of the current graph step (see the module comment). */
  readonly stepSignal: AbortSignal | undefined;
  /** The invocation's abort signal: aborted when the caller aborts (never when the invocation just ends). */
  readonly invocationSignal: AbortSignal | undefined;
}

/** LangGraph's configurable key of the runner's abort signals (`CONFIG_KEY_ABORT_SIGNALS`). */
const ABORT_SIGNALS_KEY = "__pregel_abort_signals";

function externalSignalOf(configurable: Record<string, unknown> | undefined): AbortSignal | undefined {
  const signals = configurable?.[ABORT_SIGNALS_KEY] as { externalAbortSignal?: unknown } | undefined;
  const signal = signals?.externalAbortSignal;
  return signal instanceof AbortSignal ? signal : undefined;
}

/** The graph scope of a checkpoint namespace: everything before the task's own segment. */
function scopeOf(namespace: unknown): string {
  if (typeof namespace !== "string") return "";
  const cut = namespace.lastIndexOf("|");
  return cut < 0 ? "" : namespace.slice(0, cut);
}

/** Reads the invocation a hook runs in from its runtime. Cheap: a few property reads. */
export function readInvocation(runtime: RuntimeLike): InvocationView {
  const configurable = runtime.configurable;
  const invocationSignal = externalSignalOf(configurable);
  const writer = runtime.writer;
  const threadId = configurable?.thread_id;
  return {
    // The signal first: a caller may pass its own writer to every invocation, never its own combined signal.
    key: invocationSignal ?? (typeof writer === "function" ? writer : undefined),
    scope: scopeOf(configurable?.checkpoint_ns),
    threadId: typeof threadId === "string" || typeof threadId === "number" ? String(threadId) : undefined,
    stepSignal: runtime.signal,
    invocationSignal,
  };
}
