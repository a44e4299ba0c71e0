/**
 * Run boundaries from the agent's own lifecycle: which run a hook belongs to, when it begins, continues and
 * ends. One run is one agent invocation (see `invocation.ts` for how an invocation is recognised):
 *
 * - **begin**: the invocation's first model call (the first hook that sees the system prompt, the user's
 *   messages and the bound tools, which Stage I predicts from);
 * - **continuation after an interrupt**: a later invocation on the same thread whose first hook runs one of
 *   the run's pending tool calls, or whose messages still end with the run's last response (a resume); any
 *   other invocation on that thread supersedes the interrupted run, which ends as `"abandoned"`;
 * - **end, ok**: a final answer (a response without tool calls, or a structured response); a round whose last
 *   tool is a `returnDirect` tool that succeeded (LangChain then leaves the loop). If the invocation calls
 *   the model again after a final answer (an `afterModel` hook jumped back), the run continues;
 * - **end, error or aborted**: the graph step of one of the run's model or tool calls fails (LangGraph
 *   aborts the step's signal when a task of it fails, so a retry or fallback middleware that handles the
 *   error lets the run go on), or the invocation's signal aborts (also during a tool phase);
 * - **end, abandoned**: anything else that stops the invocation between the middleware's hooks (an interrupt
 *   never resumed; a `beforeModel` hook that jumps to the end or throws, e.g. `modelCallLimitMiddleware`; a
 *   recursion limit): the middleware has no hook there, so the sweeper ends the run after `runIdleTimeoutMs`.
 */
import type { BaseMessage } from "@langchain/core/messages";
import type { AugServe } from "./augserve.js";
import type { InvocationView } from "./invocation.js";
import type { TrackedRun } from "./run-state.js";

/** The runs of one invocation: the agent's, and those of subagents run inside its tools (by scope). */
type InvocationRunsEntry = TrackedRun | Map<string, TrackedRun>;

function threadKey(view: InvocationView): string | undefined {
  return view.threadId === undefined ? undefined : `${view.scope}\u0000${view.threadId}`;
}

/** Whether `messages` continue `run` (an interrupted run being resumed): its last response, then no new user turn. */
function continues(run: TrackedRun, messages: readonly BaseMessage[]): boolean {
  const last = run.lastResponse;
  if (last === undefined || !run.parked) return false;
  const id = (last.message as { id?: string }).id ?? last.id;
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (message === last.message || (id !== undefined && message.id === id)) return true;
    if (message.getType() === "human") return false;
  }
  return false;
}

/** What the middleware listens to for a run: its invocation's signal (removable), the step it watches. */
interface Watch {
  unwatch: (() => void) | undefined;
  step: AbortSignal | undefined;
}

/** Tracks which run each invocation (and thread) belongs to, for one middleware. */
export class InvocationRuns {
  readonly #aug: AugServe;
  /** Weak: an invocation's key object dies with the invocation, and so does its entry. */
  readonly #byInvocation = new WeakMap<object, InvocationRunsEntry>();
  /** The open run of each conversation thread (per graph scope), for continuations after an interrupt. */
  readonly #byThread = new Map<string, TrackedRun>();
  readonly #watches = new WeakMap<TrackedRun, Watch>();

  constructor(aug: AugServe) {
    this.#aug = aug;
  }

  /** The run the invocation of `view` has, if any (open or ended). */
  lookup(view: InvocationView): TrackedRun | undefined {
    if (view.key === undefined) return undefined;
    const entry = this.#byInvocation.get(view.key);
    if (entry === undefined) return undefined;
    if (entry instanceof Map) return entry.get(view.scope);
    return view.scope === "" ? entry : undefined;
  }

  /**
   * The run of a model call: the invocation's own (continued after a final answer when an `afterModel` hook
   * jumped back), the thread's interrupted run that this invocation resumes, or a new run from `begin`.
   */
  forModelCall(view: InvocationView, messages: readonly BaseMessage[], begin: () => TrackedRun): TrackedRun {
    const own = this.lookup(view);
    if (own !== undefined) {
      if (!own.ended) return own;
      // A subagent's key is its parent's: a second invocation of it inside one tool call looks the same as a
      // jump back, so only the agent invoked by the caller continues; a subagent begins a new run.
      if (own.outcome === "ok" && view.scope === "") {
        this.#aug.reopenRun(own);
        this.#track(view, own);
        return own;
      }
    }
    const previous = this.#previousOnThread(view);
    if (previous !== undefined) {
      if (continues(previous, messages)) {
        this.#attach(view, previous);
        return previous;
      }
      this.#aug.endRun(previous, "abandoned");
    }
    const run = begin();
    this.#attach(view, run);
    return run;
  }

  /** The run of a tool call: the invocation's open run, or the interrupted run whose pending call this is. */
  forToolCall(view: InvocationView, toolCallId: string | undefined): TrackedRun | undefined {
    const own = this.lookup(view);
    if (own !== undefined && !own.ended) return own;
    const previous = this.#previousOnThread(view);
    if (previous === undefined || !previous.awaitsToolCall(toolCallId)) return undefined;
    this.#attach(view, previous);
    return previous;
  }

  /**
   * Ends `run` as aborted when its invocation is aborted (also while tools run). One listener per run, added
   * when a hook of a new invocation of it first runs, removed when the run ends.
   */
  watchInvocation(run: TrackedRun, view: InvocationView): void {
    const invocation = view.invocationSignal;
    const watch = this.#watch(run);
    if (invocation === undefined || watch.unwatch !== undefined || run.ended) return;
    const onAbort = () => this.#aug.endRun(run, "aborted");
    if (invocation.aborted) {
      onAbort();
      return;
    }
    invocation.addEventListener("abort", onAbort, { once: true });
    const unwatch = () => invocation.removeEventListener("abort", onAbort);
    watch.unwatch = unwatch;
    run.onEnd(() => {
      unwatch();
      if (watch.unwatch === unwatch) watch.unwatch = undefined;
    });
  }

  /**
   * An error left one of `run`'s hooks: if it fails the hook's graph step (LangGraph then aborts the step's
   * signal: nothing outside the middleware handled it), the run ends, as an error or, when the invocation was
   * aborted, as aborted. A retry or fallback middleware that handles the error lets the run go on. Only an
   * error adds the listener, so a call that succeeds costs nothing here.
   */
  watchStep(run: TrackedRun, view: InvocationView): void {
    const step = view.stepSignal;
    const watch = this.#watch(run);
    if (step === undefined || watch.step === step || run.ended) return;
    watch.step = step;
    const onStepAbort = () => {
      if (watch.step === step) watch.step = undefined;
      this.#aug.endRun(run, view.invocationSignal?.aborted ? "aborted" : "error");
    };
    if (step.aborted) onStepAbort();
    else step.addEventListener("abort", onStepAbort, { once: true });
  }

  /** The open run of the view's thread left by an earlier invocation, if it is idle (not running anything). */
  #previousOnThread(view: InvocationView): TrackedRun | undefined {
    const key = threadKey(view);
    if (key === undefined) return undefined;
    const run = this.#byThread.get(key);
    if (run === undefined) return undefined;
    if (run.ended) {
      this.#byThread.delete(key);
      return undefined;
    }
    // Two invocations at once on one thread are not a continuation (LangGraph runs a thread's invocations
    // one after the other); leave a busy run alone.
    return run.busy ? undefined : run;
  }

  /** The run's watch state, made on first use. */
  #watch(run: TrackedRun): Watch {
    let watch = this.#watches.get(run);
    if (watch === undefined) {
      watch = { unwatch: undefined, step: undefined };
      this.#watches.set(run, watch);
    }
    return watch;
  }

  /** Makes `run` the run of the view's invocation (a new invocation continuing it listens to its own signals). */
  #attach(view: InvocationView, run: TrackedRun): void {
    const watch = this.#watches.get(run);
    if (watch !== undefined) {
      watch.unwatch?.();
      watch.unwatch = undefined;
      watch.step = undefined;
    }
    this.#track(view, run);
  }

  #track(view: InvocationView, run: TrackedRun): void {
    const key = view.key;
    if (key !== undefined) {
      const entry = this.#byInvocation.get(key);
      if (view.scope === "" && (entry === undefined || !(entry instanceof Map))) {
        this.#byInvocation.set(key, run);
      } else {
        const scopes = entry instanceof Map ? entry : new Map<string, TrackedRun>();
        if (entry !== undefined && !(entry instanceof Map)) scopes.set("", entry);
        scopes.set(view.scope, run);
        this.#byInvocation.set(key, scopes);
      }
    }
    const thread = threadKey(view);
    if (thread !== undefined) {
      this.#byThread.set(thread, run);
      run.onEnd(() => {
        if (this.#byThread.get(thread) === run) this.#byThread.delete(thread);
      });
    }
  }
}
