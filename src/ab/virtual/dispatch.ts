/**
 * How calls reach the engine under each benchmark policy. A dispatcher is told about runs and calls by the
 * driver and calls `send(call, priority)` when a call may go to the engine:
 *
 * - `plain`: every call at once (the server's own FCFS queue does the rest), as a LangChain app does today.
 * - `fcfs-window`: a client-side FIFO with a fixed number of calls in flight (what one builds with p-queue).
 * - the scheduler's policies: through `RunHandle.submit` / `CallTicket` of the real scheduler.
 */
import {
  CallAccounting,
  type CallAccountingOptions,
  callSpec,
  type PlannedCall,
  type ServerUsage,
} from "../../accounting/call-accounting.js";
import type { ConversationSize } from "../../accounting/conversation.js";
import { toRunEstimate } from "../../predict/estimate.js";
import type { PredictionContext, Predictor, RunObservation } from "../../predict/types.js";
import type {
  CallTicket,
  RunEstimate,
  RunHandle,
  SchedulerApi,
  ServerSignals,
  Slo,
} from "../../scheduler/types.js";
import type { GeneratedRun } from "../../workload/types.js";

/** A call as the dispatchers see it. */
export interface DispatchCall {
  /** Index of the call within its run (0 = first call). */
  readonly index: number;
  /** Prompt tokens as the server counts them: reported as usage once the call ends, never told before. */
  readonly promptTokens: number;
  /** Scripted output tokens (read only by the oracle, for its expected output). */
  readonly outputTokens: number;
  /** What a client sends: the conversation's text and tool schemas, measured (src/accounting). */
  readonly conversation: ConversationSize;
  /** Prompt tokens the server served from its prefix cache (its `cached_tokens`), once admitted. */
  cachedTokens: number;
  ticket?: CallTicket;
}

/** A run as the dispatchers see it. */
export interface DispatchRun {
  readonly run: GeneratedRun;
  /** What a client sends on the run's next call (set before the run begins). */
  readonly transcript?: { readonly size: ConversationSize };
  handle?: RunHandle;
  context?: PredictionContext;
}

/** The model name the virtual bench's call accounting is keyed by (one simulated model). */
export const VIRTUAL_MODEL = "sim";

export type Send = (run: DispatchRun, call: DispatchCall, priority: number) => void;

export interface Dispatcher {
  beginRun(run: DispatchRun): void;
  submit(run: DispatchRun, call: DispatchCall): void;
  firstToken(call: DispatchCall): void;
  tokens(call: DispatchCall, count: number): void;
  finished(run: DispatchRun, call: DispatchCall, outputTokens: number): void;
  /** The run enters a tool phase of the given tools and (scripted) duration. */
  park(run: DispatchRun, tools: string[]): void;
  /** The tool phase ended; `latencies` are the measured tool latencies of the round. */
  unpark(run: DispatchRun, latencies: ReadonlyArray<{ tool: string; latencyMs: number }>): void;
  endRun(run: DispatchRun, outcome: "ok" | "error"): void;
  observe(signals: ServerSignals): void;
  /** The scheduler's queue and budget, for the report's timeline (scheduler policies only). */
  snapshot?(): { queued: number; inFlightTokens: number; budgetTokens: number };
}

/** `plain`: straight to the engine. */
export function plainDispatcher(send: Send): Dispatcher {
  return {
    beginRun() {},
    submit: (run, call) => send(run, call, 0),
    firstToken() {},
    tokens() {},
    finished() {},
    park() {},
    unpark() {},
    endRun() {},
    observe() {},
  };
}

/** `fcfs-window`: at most `window` calls in flight, the rest queued in arrival order. */
export function windowDispatcher(send: Send, window: number): Dispatcher {
  const queue: Array<[DispatchRun, DispatchCall]> = [];
  let head = 0;
  let inFlight = 0;
  const pump = () => {
    while (inFlight < window && head < queue.length) {
      const [run, call] = queue[head] as [DispatchRun, DispatchCall];
      queue[head++] = undefined as never; // free the slot; the array is compacted below
      inFlight++;
      send(run, call, 0);
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
  };
  return {
    ...plainDispatcher(send),
    submit(run, call) {
      queue.push([run, call]);
      pump();
    },
    finished() {
      inFlight--;
      pump();
    },
  };
}

/**
 * What Stage I is shown as a generated run begins, as the middleware shows it: the run's prompts and tools, no
 * tool round done, and the prompt tokens as the client counts them (`promptTokens`).
 */
export function runStartContext(run: GeneratedRun, promptTokens: number): PredictionContext {
  return {
    systemPrompt: run.systemPrompt,
    userPrompt: run.userPrompt,
    tools: run.tools,
    toolRoundsDone: 0,
    promptTokens,
  };
}

/** The truth of a run's script, for `augserve-oracle` only. */
export function truthOf(run: GeneratedRun): RunEstimate {
  const rounds = run.script.rounds;
  const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
  return {
    remainingToolRounds: rounds.length,
    outputTokensPerCall: mean(rounds.map((r) => r.outputTokens)),
    finalOutputTokens: run.script.finalOutputTokens,
    toolLatencyMs: mean(rounds.map((r) => Math.max(0, ...r.calls.map((c) => c.latencyMs)))),
  };
}

/**
 * What a predictor learns of a finished run: `toolRounds` rounds of `callsPerRound` tool calls, calls that
 * gave `outputs` output tokens (the last one the final answer).
 */
export function runObservation(
  toolRounds: number,
  callsPerRound: readonly number[],
  outputs: readonly number[],
): RunObservation {
  return {
    toolRounds,
    toolCallsPerRound:
      callsPerRound.length === 0 ? 1 : callsPerRound.reduce((a, b) => a + b, 0) / callsPerRound.length,
    outputTokensPerCall: outputs.slice(0, -1),
    finalOutputTokens: outputs.at(-1) ?? 0,
  };
}

/** {@link runObservation} of a run that followed its script, its calls having given `outputs` tokens. */
export function scriptedObservation(run: GeneratedRun, outputs: readonly number[]): RunObservation {
  const rounds = run.script.rounds;
  return runObservation(
    rounds.length,
    rounds.map((r) => r.calls.length),
    outputs,
  );
}

/**
 * The real scheduler. Predictions for every policy but the oracle come from `predictor`, which sees only
 * what a deployment sees (prompts, tool schemas, rounds done) and learns from finished runs. The token
 * accounting of every call (prompt and cached tokens) comes from `CallAccounting`, as in the middleware:
 * from the conversation's text and what the server reported of the run's previous call, never from the
 * engine's exact counts.
 */
export function schedulerDispatcher(
  send: Send,
  scheduler: SchedulerApi,
  predictor: Predictor,
  options: {
    oracle: boolean;
    slo: Slo;
    onReject: (run: DispatchRun, error: Error) => void;
    /** @default the middleware's defaults (4 characters per token, EWMA weight 0.2) */
    accounting?: CallAccountingOptions;
  },
): Dispatcher {
  const rounds = new WeakMap<DispatchRun, number>();
  const outputs = new WeakMap<DispatchRun, number[]>();
  const accounting = new CallAccounting(options.accounting);
  const planned = new WeakMap<DispatchCall, PlannedCall>();
  return {
    beginRun(run) {
      const r = run.run;
      // The middleware's run-level estimate: the raw estimate of the first call's text.
      const promptTokens =
        run.transcript === undefined ? r.promptTokens : accounting.runPromptTokens(run.transcript.size);
      run.context = runStartContext(r, promptTokens);
      const prediction = toRunEstimate(predictor.predict(run.context));
      run.handle = scheduler.beginRun({
        runId: r.id,
        features: {
          ...prediction,
          promptTokens,
          ...(options.oracle ? { truth: truthOf(r) } : {}),
        },
        slo: options.slo,
      });
      rounds.set(run, 0);
      outputs.set(run, []);
    },
    submit(run, call) {
      const plan = accounting.plan(run, VIRTUAL_MODEL, call.conversation);
      planned.set(call, plan);
      const spec = {
        ...callSpec(plan),
        ...(options.oracle ? { expectedOutputTokens: call.outputTokens } : {}),
      };
      run.handle?.submit(spec, {
        onAdmit(ticket) {
          call.ticket = ticket;
          send(run, call, ticket.priority);
        },
        onReject: (error) => options.onReject(run, error),
      });
    },
    firstToken: (call) => call.ticket?.onFirstToken(),
    tokens: (call, count) => call.ticket?.onTokens(count),
    finished(run, call, outputTokens) {
      outputs.get(run)?.push(outputTokens);
      // What the server reports in `usage` (the simulator reports cached_tokens).
      const usage: Required<ServerUsage> = {
        promptTokens: call.promptTokens,
        outputTokens,
        cachedPromptTokens: call.cachedTokens,
      };
      const plan = planned.get(call);
      if (plan !== undefined) accounting.settle(run, plan, usage);
      call.ticket?.complete(usage);
    },
    park(run, tools) {
      const expected = run.context ? predictor.predict(run.context).toolLatencyMs : undefined;
      run.handle?.park({ tools, ...(expected === undefined ? {} : { expectedLatencyMs: expected }) });
    },
    unpark(run, latencies) {
      for (const { tool, latencyMs } of latencies) predictor.learnToolLatency(tool, latencyMs);
      const done = (rounds.get(run) ?? 0) + 1;
      rounds.set(run, done);
      run.handle?.unpark();
      if (run.context) {
        run.context = { ...run.context, toolRoundsDone: done };
        run.handle?.updateEstimate(toRunEstimate(predictor.predict(run.context)));
      }
    },
    endRun(run, outcome) {
      run.handle?.end(outcome);
      const calls = outputs.get(run) ?? [];
      const r = run.run;
      if (outcome === "ok" && run.context)
        predictor.learnRun({ ...run.context, toolRoundsDone: 0 }, scriptedObservation(r, calls));
    },
    observe: (signals) => scheduler.observe(signals),
    snapshot() {
      const s = scheduler.snapshot();
      return { queued: s.queued, inFlightTokens: s.inFlightTokens, budgetTokens: s.budgetTokens };
    },
  };
}
