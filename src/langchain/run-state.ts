/**
 * The integration's view of one agent run: its arm, its scheduler handle (scheduled arm only), and what
 * it measured (first token, tool phases, tokens per call, queue wait), from which the predictor is taught
 * and the run's metrics are computed. State changes live here; the orchestration is in `augserve.ts` and
 * `lifecycle.ts`.
 */
import { meetsSlo, type RunTimes, runNormLatencyMs, runTtftMs, type Slo } from "../metrics/index.js";
import type { PredictionContext, RunObservation } from "../predict/types.js";
import type { PriorityClass, RunHandle } from "../scheduler/types.js";
import type { AgentRunOutcome, AgentRunRecord, ArmName } from "./report.js";

/** The tool calls of the model response that opened the current tool round. */
interface ToolRound {
  /** Ids of the calls, in the response's order (the order the agent runs and routes them). */
  ids: readonly (string | undefined)[];
  /** Names of the tools called (for the tool latencies learned from the phase when no tool hook ran). */
  names: readonly string[];
  /** Whether the agent leaves its loop when the round's last call succeeds (a `returnDirect` tool). */
  lastReturnsDirect: boolean;
  /** Whether the round's last call has finished with a result that ends the agent. */
  lastExited: boolean;
  lastFinished: boolean;
}

/** Live state of a run. */
export class TrackedRun {
  readonly id: string;
  readonly arm: ArmName;
  readonly context: PredictionContext;
  readonly arrivalMs: number;
  /** The conversation the run belongs to (`configurable.thread_id`), if any. */
  readonly threadId: string | undefined;
  firstTokenMs: number | undefined;
  lastActivityMs: number;
  queueWaitMs = 0;
  modelMs = 0;
  toolMs = 0;
  /** Output tokens per call, and whether the call ended in tool calls. */
  readonly calls: { outputTokens: number; toolCalls: number }[] = [];
  /** Tool calls of each completed tool round. */
  readonly toolCallsPerRound: number[] = [];
  /** Model calls between their start (queue wait included) and their end. */
  callsActive = 0;
  /** Model calls admitted and not yet finished. */
  callsInFlight = 0;
  /** Tool calls started and not yet finished. */
  toolsInFlight = 0;
  /** The last model message (kept to recognise the run's continuation after an interrupt). */
  lastResponse: { id: string | undefined; message: object } | undefined;
  /** Whether the run's end was already counted in the Prometheus metrics and taught to the predictor. */
  reported = false;
  /** The latest prediction of the run's next tool phase, ms (reused when the run parks). */
  expectedToolLatencyMs: number | undefined;
  /** Service class and fairness key the run began with (kept for the segments of a continued run). */
  priorityClass: PriorityClass | undefined;
  tenant: string | undefined;
  /**
   * Whether the run's latest model call failed, and no call succeeded since: a retry or fallback middleware
   * that then returns an error message instead of failing the invocation leaves the run failed.
   */
  lastCallFailed = false;
  /** Whether the end of the run's graph invocation is reported to the middleware (`graph-end.ts`). */
  endsWithGraph = false;
  /** Length of the latest tool phase, ms. */
  lastPhaseMs = 0;
  /** Whether the run stopped at an interrupt (ended for now; a resume on its thread continues it). */
  suspended = false;
  #handle: RunHandle | undefined;
  /** Run once when the run ends (listeners to remove, maps to forget it in). */
  #cleanups: (() => void)[] = [];
  #segments = 1;
  #parkedAtMs: number | undefined;
  /** Tool calls the last model response asked for, and those of this round started / finished. */
  #expectedToolCalls = 0;
  #toolsStarted = 0;
  #toolsFinished = 0;
  #round: ToolRound | undefined;
  #lastPhaseUntimed = false;
  #outcome: AgentRunOutcome | undefined;

  constructor(
    id: string,
    arm: ArmName,
    handle: RunHandle | undefined,
    context: PredictionContext,
    nowMs: number,
    threadId?: string,
  ) {
    this.id = id;
    this.arm = arm;
    this.#handle = handle;
    this.context = context;
    this.arrivalMs = nowMs;
    this.lastActivityMs = nowMs;
    this.threadId = threadId;
  }

  /** The scheduler's handle of the run's current segment; undefined in the plain arm. */
  get handle(): RunHandle | undefined {
    return this.#handle;
  }

  get ended(): boolean {
    return this.#outcome !== undefined;
  }

  /** How the run ended; undefined while it runs. */
  get outcome(): AgentRunOutcome | undefined {
    return this.#outcome;
  }

  get parked(): boolean {
    return this.#parkedAtMs !== undefined;
  }

  /** Tool rounds completed so far. */
  get toolRoundsDone(): number {
    return this.toolCallsPerRound.length;
  }

  /** Whether the run is doing something now (a model call or a tool call). */
  get busy(): boolean {
    return this.callsActive > 0 || this.toolsInFlight > 0;
  }

  /** Records a finished model call that asked for `toolCalls` tool calls. */
  recordCall(outputTokens: number, toolCalls: number, nowMs: number): void {
    this.calls.push({ outputTokens, toolCalls });
    this.#expectedToolCalls = toolCalls;
    this.lastActivityMs = nowMs;
  }

  /** The model asked for tool calls: the round they form, and whether its last call's tool returns directly. */
  openRound(
    ids: readonly (string | undefined)[],
    names: readonly string[],
    lastReturnsDirect: boolean,
  ): void {
    this.#round = { ids, names, lastReturnsDirect, lastExited: false, lastFinished: false };
  }

  /**
   * The tools of the round whose phase just closed when no tool hook timed them (the middleware has no
   * `wrapToolCall` by default): each ran at most the phase's length. Empty when tool hooks ran.
   */
  untimedTools(): readonly string[] {
    return this.#lastPhaseUntimed ? (this.#round?.names ?? []) : [];
  }

  /** Whether `toolCallId` is one of the calls of the round the run waits on (its continuation's first hook). */
  awaitsToolCall(toolCallId: string | undefined): boolean {
    return toolCallId !== undefined && this.#round?.ids.includes(toolCallId) === true;
  }

  /**
   * A tool call of the current round starts. Returns true when this starts the tool phase (the run must
   * be parked): parallel tool calls of one round park the run once.
   */
  toolStarted(nowMs: number): boolean {
    this.lastActivityMs = nowMs;
    this.#toolsStarted += 1;
    this.toolsInFlight += 1;
    return this.park(nowMs);
  }

  /** Enters the tool phase (no-op when already in it). Returns true when this parked the run. */
  park(nowMs: number): boolean {
    if (this.#parkedAtMs !== undefined) return false;
    this.#parkedAtMs = nowMs;
    return true;
  }

  /**
   * A tool call finished (`exits`: its result is one the agent ends on, meaningful for the round's last
   * call). Returns true when the round's results are all in (unpark now).
   */
  toolFinished(nowMs: number, toolCallId: string | undefined, exits: boolean): boolean {
    this.lastActivityMs = nowMs;
    this.#toolsFinished += 1;
    this.toolsInFlight = Math.max(0, this.toolsInFlight - 1);
    const round = this.#round;
    if (round !== undefined && toolCallId !== undefined && toolCallId === round.ids.at(-1)) {
      round.lastFinished = true;
      round.lastExited = exits;
    }
    return (
      this.#parkedAtMs !== undefined &&
      this.#toolsFinished >= this.#toolsStarted &&
      this.#toolsFinished >= this.#expectedToolCalls
    );
  }

  /**
   * Whether the agent leaves its loop now: no tool call is running and the round's last call, a
   * `returnDirect` tool, returned a result that is not an error (LangChain routes on the last tool message).
   */
  get exitsAfterTools(): boolean {
    const round = this.#round;
    return (
      round?.lastReturnsDirect === true && round.lastFinished && round.lastExited && this.toolsInFlight === 0
    );
  }

  /** Ends the tool phase. Returns false when the run was not parked. */
  closeToolPhase(nowMs: number): boolean {
    if (this.#parkedAtMs === undefined) return false;
    this.lastPhaseMs = nowMs - this.#parkedAtMs;
    this.toolMs += this.lastPhaseMs;
    // Without tool hooks, the round had as many calls as the response asked for.
    this.#lastPhaseUntimed = this.#toolsStarted === 0;
    this.toolCallsPerRound.push(Math.max(this.#toolsStarted, this.#expectedToolCalls));
    this.#parkedAtMs = undefined;
    this.#toolsStarted = 0;
    this.#toolsFinished = 0;
    this.#expectedToolCalls = 0;
    // The round stays until the next response opens one: whether the agent leaves its loop after a
    // `returnDirect` tool is read after the round's last result, when the phase has just closed.
    return true;
  }

  /** Marks the run ended and runs its cleanups; returns false when it already was (ending is idempotent). */
  markEnded(outcome: AgentRunOutcome): boolean {
    if (this.#outcome !== undefined) return false;
    this.#outcome = outcome;
    const cleanups = this.#cleanups;
    this.#cleanups = [];
    for (const cleanup of cleanups) cleanup();
    return true;
  }

  /** Runs `cleanup` when the run ends (at once if it has). */
  onEnd(cleanup: () => void): void {
    if (this.#outcome !== undefined) cleanup();
    else this.#cleanups.push(cleanup);
  }

  /**
   * The run goes on after it ended at a final answer (an `afterModel` hook sent the agent back to the
   * model): it is open again, with `handle` for its next segment in the scheduler.
   */
  reopen(handle: RunHandle | undefined): void {
    this.#outcome = undefined;
    this.suspended = false;
    this.#handle = handle;
    this.#segments += 1;
  }

  /** Scheduler run id of the next segment (a continued run is a new run for the scheduler). */
  nextSegmentId(): string {
    return `${this.id}~${this.#segments + 1}`;
  }

  /** The truth about the run, for `Predictor.learnRun`. */
  observation(): RunObservation {
    const intermediate = this.calls.filter((c) => c.toolCalls > 0).map((c) => c.outputTokens);
    const last = this.calls.at(-1);
    const rounds = this.toolCallsPerRound.length;
    return {
      toolRounds: rounds,
      toolCallsPerRound: rounds === 0 ? 0 : this.toolCallsPerRound.reduce((a, b) => a + b, 0) / rounds,
      outputTokensPerCall: intermediate,
      finalOutputTokens: last !== undefined && last.toolCalls === 0 ? last.outputTokens : 0,
    };
  }

  /**
   * The run's metrics record (DESIGN.md section 5): its figures and its SLO verdict are the metrics' own
   * (`metrics/slo.ts`), computed from the run's times as the benches compute theirs.
   */
  record(outcome: AgentRunOutcome, nowMs: number, slo: Slo): AgentRunRecord {
    const ok = outcome === "ok";
    const times: RunTimes = {
      arrivalMs: this.arrivalMs,
      firstTokenMs: this.firstTokenMs ?? null,
      endMs: nowMs,
      toolTimeMs: this.toolMs,
      outputTokens: this.calls.reduce((sum, c) => sum + c.outputTokens, 0),
      error: ok ? undefined : outcome,
    };
    return {
      arm: this.arm,
      ok,
      outcome,
      arrivalMs: this.arrivalMs,
      endMs: nowMs,
      ttftMs: runTtftMs(times),
      e2eMs: nowMs - this.arrivalMs,
      toolMs: this.toolMs,
      outputTokens: times.outputTokens,
      normLatencyMsPerToken: runNormLatencyMs(times),
      queueWaitMs: this.queueWaitMs,
      modelMs: this.modelMs,
      sloMet: meetsSlo(times, slo),
    };
  }
}
