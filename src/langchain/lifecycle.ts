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
 * - **end, at the graph's end** (`graph-end.ts`): whatever else ends the invocation (a jump to the end from any
 *   hook, all tool calls blocked, a `returnDirect` tool, the recursion limit, an error thrown by any node)
 *   ends the run when the invocation's graph run is over: `"error"` when it threw or when the run's last
 *   model call failed (a retry or fallback middleware answered with an error message), `"aborted"` when the
 *   invocation was aborted, `"ok"` otherwise. An interrupt suspends the run (`AugServe.suspendRun`): a later
 *   invocation on its thread that resumes it continues it;
 * - **end, abandoned**: only where the graph's end cannot be observed (a LangGraph without the method
 *   `graph-end.ts` wraps), the sweeper ends a run left without activity after `runIdleTimeoutMs`.
 */
import type { BaseMessage } from "@langchain/core/messages";
import type { AugServe } from "./augserve.js";
import { type GraphEnd, graphEndCovers, installGraphEnd, onGraphEnd } from "./graph-end.js";
import type { InvocationView } from "./invocation.js";
import type { TrackedRun } from "./run-state.js";

/** The runs of one invocation: the agent's, and those of subagents run inside its tools (by scope). */
type InvocationRunsEntry = TrackedRun | Map<string, TrackedRun>;

function threadKey(view: { scope: string; threadId: string | undefined }): string | undefined {
  return view.threadId === undefined ? undefined : `${view.scope}\u0000${view.threadId}`;
}

/** Interrupted runs kept for a resume; the oldest are forgotten first (their records stay `"abandoned"`). */
const MAX_SUSPENDED = 10_000;

/** Whether `messages` continue `run` (an interrupted run being resumed): its last response, then no new user turn. */
function continues(run: TrackedRun, messages: readonly BaseMessage[]): boolean {
  const last = run.lastResponse;
  if (last === undefined || !(run.parked || run.suspended)) return false;
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
  /** Runs suspended at an interrupt, by thread (per graph scope), until a resume continues them. */
  readonly #suspended = new Map<string, TrackedRun>();
  /** Whether graph ends are reported in this process (`graph-end.ts`). */
  readonly graphEnds: boolean;

  constructor(aug: AugServe) {
    this.#aug = aug;
    this.graphEnds = installGraphEnd();
  }

  /** The run the invocation of `view` has, if any (open or ended). */
  lookup(view: InvocationView): TrackedRun | undefined {
    return view.key === undefined ? undefined : this.#runAt(view.key, view.scope);
  }

  #runAt(key: object, scope: string): TrackedRun | undefined {
    const entry = this.#byInvocation.get(key);
    if (entry === undefined) return undefined;
    if (entry instanceof Map) return entry.get(scope);
    return scope === "" ? entry : undefined;
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
    const suspended = this.#takeSuspended(view);
    if (suspended !== undefined && continues(suspended, messages)) return this.#resume(view, suspended);
    const run = begin();
    run.endsWithGraph = graphEndCovers(view.key);
    this.#attach(view, run);
    return run;
  }

  /** The run of a tool call: the invocation's open run, or the interrupted run whose pending call this is. */
  forToolCall(view: InvocationView, toolCallId: string | undefined): TrackedRun | undefined {
    const own = this.lookup(view);
    if (own !== undefined && !own.ended) return own;
    const previous = this.#previousOnThread(view);
    if (previous === undefined) {
      const suspended = this.#takeSuspended(view);
      return suspended?.awaitsToolCall(toolCallId) ? this.#resume(view, suspended) : undefined;
    }
    if (!previous.awaitsToolCall(toolCallId)) return undefined;
    this.#attach(view, previous);
    return previous;
  }

  /** The run suspended at an interrupt on the view's thread, if any (forgotten: a thread resumes once). */
  #takeSuspended(view: InvocationView): TrackedRun | undefined {
    const key = threadKey(view);
    if (key === undefined || this.#suspended.size === 0) return undefined;
    const run = this.#suspended.get(key);
    this.#suspended.delete(key);
    return run?.suspended ? run : undefined;
  }

  /** A suspended run goes on in the invocation of `view` (a resume after an interrupt). */
  #resume(view: InvocationView, run: TrackedRun): TrackedRun {
    this.#aug.reopenRun(run);
    run.endsWithGraph = graphEndCovers(view.key);
    this.#attach(view, run);
    return run;
  }

  /** The graph run of `scope` in the invocation `key` is over: so is the run there, if it is still open. */
  #graphEnded(key: object, scope: string, end: GraphEnd): void {
    const run = this.#runAt(key, scope);
    if (run === undefined || run.ended) return;
    if (end.kind === "interrupted") {
      this.#aug.suspendRun(run);
      const thread = threadKey({ scope, threadId: run.threadId });
      if (thread === undefined) return;
      this.#suspended.delete(thread);
      if (this.#suspended.size >= MAX_SUSPENDED) {
        const oldest = this.#suspended.keys().next().value;
        if (oldest !== undefined) this.#suspended.delete(oldest);
      }
      this.#suspended.set(thread, run);
      return;
    }
    if (end.kind === "failed") {
      this.#aug.endRun(run, key instanceof AbortSignal && key.aborted ? "aborted" : "error");
      return;
    }
    this.#aug.endRun(run, run.lastCallFailed ? "error" : "ok");
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
      // One listener per invocation and middleware, for the runs of all its scopes.
      if (entry === undefined && this.graphEnds)
        onGraphEnd(key, (scope, end) => this.#graphEnded(key, scope, end));
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
