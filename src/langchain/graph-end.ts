/**
 * The end of a LangGraph graph invocation, whatever ended it: the last step, a jump to the end from any hook,
 * an interrupt, the recursion limit, an abort or an error thrown by any node.
 *
 * LangChain's middleware API has no hook that runs at every end: `afterAgent` is skipped by a `beforeModel`
 * jump to the end (`modelCallLimitMiddleware`), by an interrupt, by the recursion limit and by any error; the
 * invocation's promise belongs to the caller. LangGraph runs every invocation of a compiled graph (an agent,
 * a subagent inside a tool, an agent used as a node of a bigger graph) through one method,
 * `Pregel.prototype._runLoop`, which returns or throws exactly when the graph's run is over (before the
 * caller's promise settles). This module wraps that method once per process, so that each end is reported to
 * whoever registered the invocation: a try/finally and a WeakMap lookup per invocation, no graph step.
 *
 * The invocation is named as `invocation.ts` names it: the runner's external abort signal (inherited by
 * subgraphs, which are told apart by their checkpoint namespace, the `scope`). All reads of LangGraph
 * internals for this purpose are in this module; if a LangGraph version lacks the method,
 * {@link installGraphEnd} returns false and the middleware falls back to its own hooks and the sweep.
 */
import { isGraphInterrupt } from "@langchain/langgraph";
import { Pregel } from "@langchain/langgraph/pregel";

/** How a graph invocation ended. */
export type GraphEnd =
  | { readonly kind: "done" }
  | { readonly kind: "interrupted" }
  | { readonly kind: "failed"; readonly error: unknown };

/** Told of each end of a graph run of the invocation it was registered for; `scope` as in `invocation.ts`. */
export type GraphEndListener = (scope: string, end: GraphEnd) => void;

/** LangGraph's configurable key of the runner's abort signals, and of the interrupt channel. */
const ABORT_SIGNALS_KEY = "__pregel_abort_signals";
const INTERRUPT_CHANNEL = "__interrupt__";

interface LoopLike {
  config?: { configurable?: Record<string, unknown> };
  status?: unknown;
  checkpointPendingWrites?: unknown;
}
interface RunLoopParams {
  loop?: LoopLike;
  config?: { signal?: unknown };
}
type RunLoop = (this: unknown, params: RunLoopParams) => Promise<unknown>;

const listeners = new WeakMap<object, GraphEndListener[]>();
/** Invocations whose graph runs under the wrapper (so their end will be reported). */
const covered = new WeakSet<object>();
const PATCHED = Symbol.for("augserve.graphEnd");
let installed: boolean | undefined;

/** The invocation's key: the external abort signal the runner hands every task (see `invocation.ts`). */
function keyOf(params: RunLoopParams): object | undefined {
  const signals = params.loop?.config?.configurable?.[ABORT_SIGNALS_KEY] as
    | { externalAbortSignal?: unknown }
    | undefined;
  const signal = signals?.externalAbortSignal ?? params.config?.signal;
  return signal instanceof AbortSignal ? signal : undefined;
}

function scopeOf(loop: LoopLike | undefined): string {
  const namespace = loop?.config?.configurable?.checkpoint_ns;
  return typeof namespace === "string" ? namespace : "";
}

/** Whether the graph stopped at an interrupt (a node's `interrupt()`, or `interruptBefore` / `interruptAfter`). */
function interrupted(loop: LoopLike | undefined): boolean {
  const status = loop?.status;
  if (status === "interrupt_before" || status === "interrupt_after") return true;
  const writes = loop?.checkpointPendingWrites;
  return Array.isArray(writes) && writes.some((w) => Array.isArray(w) && w[1] === INTERRUPT_CHANNEL);
}

function endOf(params: RunLoopParams, failed: boolean, error: unknown): GraphEnd {
  if (failed) return isGraphInterrupt(error) ? { kind: "interrupted" } : { kind: "failed", error };
  return interrupted(params.loop) ? { kind: "interrupted" } : { kind: "done" };
}

function notify(key: object | undefined, params: RunLoopParams, end: GraphEnd): void {
  if (key === undefined) return;
  const registered = listeners.get(key);
  if (registered === undefined) return;
  const scope = scopeOf(params.loop);
  // The invocation itself is over: nothing of it runs any more.
  if (scope === "") listeners.delete(key);
  for (const listener of registered) listener(scope, end);
}

/**
 * Wraps `Pregel.prototype._runLoop` once per process (idempotent; also across copies of this module).
 * Returns whether graph ends are reported.
 */
export function installGraphEnd(): boolean {
  if (installed !== undefined) return installed;
  const proto = Pregel.prototype as unknown as Record<PropertyKey, unknown>;
  const original = proto._runLoop as (RunLoop & { [PATCHED]?: true }) | undefined;
  if (typeof original !== "function") {
    installed = false;
    return installed;
  }
  if (original[PATCHED] !== true) {
    const wrapped: RunLoop & { [PATCHED]?: true } = async function (this: unknown, params) {
      const key = keyOf(params);
      if (key !== undefined) covered.add(key);
      let failed = false;
      let error: unknown;
      try {
        return await original.call(this, params);
      } catch (e) {
        failed = true;
        error = e;
        throw e;
      } finally {
        // Read again: the first step stores the runner's signals in the loop's config.
        notify(keyOf(params) ?? key, params, endOf(params, failed, error));
      }
    };
    wrapped[PATCHED] = true;
    proto._runLoop = wrapped;
  }
  installed = true;
  return installed;
}

/** Whether the end of the invocation named `key` will be reported (its graph runs under the wrapper). */
export function graphEndCovers(key: object | undefined): boolean {
  return key !== undefined && covered.has(key);
}

/**
 * Calls `listener` at each end of a graph run of the invocation `key` (the invocation's own and its
 * subgraphs'), until the invocation's own graph ends.
 */
export function onGraphEnd(key: object, listener: GraphEndListener): void {
  const registered = listeners.get(key);
  if (registered === undefined) listeners.set(key, [listener]);
  else registered.push(listener);
}
