/**
 * The integration's view of one agent run: its arm, its scheduler handle (scheduled arm only), and what
 * it measured (first token, tool phases, tokens per call, queue wait), from which the predictor is taught
 * and the run's metrics are computed. State changes live here; the orchestration is in `augserve.ts`.
 */
import type { PredictionContext, RunObservation } from "../predict/types.js";
import type { RunHandle, RunOutcome } from "../scheduler/types.js";
import type { ArmName, RunRecord } from "./report.js";

/** Live state of a run. */
export class TrackedRun {
  readonly id: string;
  readonly arm: ArmName;
  /** Undefined in the plain arm. */
  readonly handle: RunHandle | undefined;
  readonly context: PredictionContext;
  readonly arrivalMs: number;
  firstTokenMs: number | undefined;
  lastActivityMs: number;
  queueWaitMs = 0;
  modelMs = 0;
  toolMs = 0;
  /** Output tokens per call, and whether the call ended in tool calls. */
  readonly calls: { outputTokens: number; toolCalls: number }[] = [];
  /** Tool calls of each completed tool round. */
  readonly toolCallsPerRound: number[] = [];
  callsInFlight = 0;
  #parkedAtMs: number | undefined;
  /** Tool calls the last model response asked for, and those of this round started / finished. */
  #expectedToolCalls = 0;
  #toolsStarted = 0;
  #toolsFinished = 0;
  #ended = false;

  constructor(
    id: string,
    arm: ArmName,
    handle: RunHandle | undefined,
    context: PredictionContext,
    nowMs: number,
  ) {
    this.id = id;
    this.arm = arm;
    this.handle = handle;
    this.context = context;
    this.arrivalMs = nowMs;
    this.lastActivityMs = nowMs;
  }

  get ended(): boolean {
    return this.#ended;
  }

  get parked(): boolean {
    return this.#parkedAtMs !== undefined;
  }

  /** Tool rounds completed so far. */
  get toolRoundsDone(): number {
    return this.toolCallsPerRound.length;
  }

  /** Records a finished model call. */
  recordCall(outputTokens: number, toolCalls: number, nowMs: number): void {
    this.calls.push({ outputTokens, toolCalls });
    this.#expectedToolCalls = toolCalls;
    this.lastActivityMs = nowMs;
  }

  /**
   * A tool call of the current round starts. Returns true when this starts the tool phase (the run must
   * be parked): parallel tool calls of one round park the run once.
   */
  toolStarted(nowMs: number): boolean {
    this.lastActivityMs = nowMs;
    this.#toolsStarted += 1;
    if (this.#parkedAtMs !== undefined) return false;
    this.#parkedAtMs = nowMs;
    return true;
  }

  /** A tool call finished (or threw). Returns true when the round's results are all in (unpark now). */
  toolFinished(nowMs: number): boolean {
    this.lastActivityMs = nowMs;
    this.#toolsFinished += 1;
    return (
      this.#parkedAtMs !== undefined &&
      this.#toolsFinished >= this.#toolsStarted &&
      this.#toolsFinished >= this.#expectedToolCalls
    );
  }

  /** Ends the tool phase. Returns false when the run was not parked. */
  closeToolPhase(nowMs: number): boolean {
    if (this.#parkedAtMs === undefined) return false;
    this.toolMs += nowMs - this.#parkedAtMs;
    this.toolCallsPerRound.push(this.#toolsStarted);
    this.#parkedAtMs = undefined;
    this.#toolsStarted = 0;
    this.#toolsFinished = 0;
    this.#expectedToolCalls = 0;
    return true;
  }

  /** Marks the run ended; returns false when it already was (ending is idempotent). */
  markEnded(): boolean {
    if (this.#ended) return false;
    this.#ended = true;
    return true;
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

  /** The run's metrics record (DESIGN.md section 5). */
  record(
    outcome: RunOutcome,
    nowMs: number,
    slo: { ttftMs: number; normLatencyMsPerToken: number },
  ): RunRecord {
    const outputTokens = this.calls.reduce((sum, c) => sum + c.outputTokens, 0);
    const e2eMs = nowMs - this.arrivalMs;
    const ttftMs = this.firstTokenMs === undefined ? null : this.firstTokenMs - this.arrivalMs;
    const normLatency = outputTokens > 0 ? (e2eMs - this.toolMs) / outputTokens : null;
    const ok = outcome === "ok";
    return {
      arm: this.arm,
      ok,
      arrivalMs: this.arrivalMs,
      endMs: nowMs,
      ttftMs,
      e2eMs,
      toolMs: this.toolMs,
      outputTokens,
      normLatencyMsPerToken: normLatency,
      queueWaitMs: this.queueWaitMs,
      modelMs: this.modelMs,
      sloMet:
        ok &&
        ttftMs !== null &&
        ttftMs <= slo.ttftMs &&
        normLatency !== null &&
        normLatency <= slo.normLatencyMsPerToken,
    };
  }
}
