/**
 * The virtual-time benchmark driver: a discrete-event simulation of a workload's runs (state machines that
 * follow their scripts: arrive -> call -> tool phase -> call ... -> final answer) driving a dispatcher (plain,
 * fcfs-window, or the real scheduler) and the simulator's engine on one virtual clock. No timers, no HTTP, no
 * promises: events are taken from a heap in (time, sequence) order, and the engine steps whenever it has work,
 * each step advancing the clock by its modelled duration (tokens of a step arrive at its end).
 */

import type { CallRecord, RunRecord } from "../../metrics/records.js";
import { ServerMetrics } from "../../metrics/server.js";
import { type RunSummary, summarize } from "../../metrics/summary.js";
import type { Predictor } from "../../predict/types.js";
import { AugServeOverloadedError } from "../../scheduler/errors.js";
import {
  type DispatchCall,
  type Dispatcher,
  type DispatchRun,
  plainDispatcher,
  schedulerDispatcher,
  windowDispatcher,
} from "./dispatch.js";
import type { EngineFactory, SchedulerFactory } from "./engine-port.js";
import { EventQueue } from "./event-queue.js";
import { type BenchPolicy, resolveRunOptions, type VirtualRunOptions } from "./options.js";
import { type Reply, type RunTranscript, Transcripts } from "./tokens.js";

/** The result of one policy on one workload. */
export interface VirtualResult {
  policy: BenchPolicy;
  records: RunRecord[];
  summary: RunSummary;
  /** Virtual time when the last run ended, ms. */
  makespanMs: number;
  /** The scheduler's queue and budget at each observation (scheduler policies; empty otherwise). */
  timeline: TimelinePoint[];
}

/** One sample of the scheduler's state (the HTML report's timeline point). */
export interface TimelinePoint {
  tMs: number;
  queued: number;
  inFlightTokens: number;
  budgetTokens: number;
}

type Event =
  | { kind: "arrive"; run: number }
  | { kind: "toolsDone"; run: number }
  | {
      kind: "stepDone";
      emitted: Array<{ id: string; tokens: number; first: boolean; finished: boolean; cachedTokens: number }>;
    }
  | { kind: "observe" }
  | { kind: "serverAdd"; call: DispatchCall; priority: number };

interface LiveCall extends DispatchCall {
  readonly id: string;
  readonly run: RunState;
  readonly prompt: number[];
  readonly output: number[];
  readonly reply: Reply;
  readonly record: CallRecord;
  tokens: number;
}

interface RunState extends DispatchRun {
  readonly index: number;
  readonly record: RunRecord;
  /** The run's conversation so far: the next call's prompt ids, and what a client sees of it. */
  transcript?: RunTranscript;
  round: number;
  toolStartMs: number;
  done: boolean;
}

/**
 * Runs one policy over a workload in virtual time and returns per-run records and the summary.
 * Every run ends (with its final answer, or an error if the engine rejects a call); none is abandoned.
 *
 * @example
 * const result = runVirtual({ workload: loadWorkload("workloads/infercept-mix.json"), policy: "augserve" });
 */
export function runVirtual(options: VirtualRunOptions): VirtualResult {
  const o = resolveRunOptions(options);
  const { workload } = o;
  let now = 0;
  const agenda = new EventQueue<Event>();
  const engine = o.createEngine({ profile: o.profile, schedulingPolicy: o.engineScheduling });
  const server = new ServerMetrics();
  const live = new Map<string, LiveCall>();
  const timeline: TimelinePoint[] = [];
  let ended = 0;

  const send = (_run: DispatchRun, call: DispatchCall, priority: number) => {
    // The request reaches the engine's queue after the server's per-request overhead, as over HTTP.
    if (o.serverOverheadMs > 0) agenda.push(now + o.serverOverheadMs, { kind: "serverAdd", call, priority });
    else addToEngine(call, priority);
  };
  const addToEngine = (call: DispatchCall, priority: number) => {
    const c = call as LiveCall;
    try {
      engine.add({
        id: c.id,
        promptTokens: c.prompt,
        maxTokens: c.outputTokens,
        outputTokens: c.output,
        priority,
      });
      live.set(c.id, c);
    } catch (error) {
      failRun(c.run, error as Error);
    }
  };
  const dispatcher = makeDispatcher(
    o,
    send,
    () => now,
    (run, error) => failRun(run as unknown as RunState, error),
  );

  const transcripts = new Transcripts(workload.runs);
  const runs: RunState[] = workload.runs.map((run, index) => ({
    run,
    index,
    round: 0,
    toolStartMs: 0,
    done: false,
    record: {
      id: run.id,
      className: run.className,
      arrivalMs: run.arrivalMs,
      firstTokenMs: null,
      endMs: null,
      toolTimeMs: 0,
      outputTokens: 0,
      calls: [],
    },
  }));
  for (const state of runs) agenda.push(state.run.arrivalMs, { kind: "arrive", run: state.index });
  agenda.push(0, { kind: "observe" });

  function startCall(state: RunState): void {
    const script = state.run.script;
    const isFinal = state.round >= script.rounds.length;
    const outputTokens = isFinal ? script.finalOutputTokens : (script.rounds[state.round]?.outputTokens ?? 1);
    const transcript = state.transcript!;
    const reply = transcript.reply(isFinal);
    const index = state.record.calls.length;
    const record: CallRecord = {
      submitMs: now,
      startMs: null,
      firstTokenMs: null,
      endMs: null,
      outputTokens: 0,
    };
    state.record.calls.push(record);
    const call: LiveCall = {
      id: `${state.run.id}#${index}`,
      index,
      run: state,
      promptTokens: transcript.promptIds.length,
      outputTokens,
      conversation: transcript.size,
      cachedTokens: 0,
      prompt: transcript.promptIds.slice(),
      output: reply.outputIds,
      reply,
      record,
      tokens: 0,
    };
    dispatcher.submit(state, call);
  }

  function finishCall(call: LiveCall): void {
    live.delete(call.id);
    const state = call.run;
    call.record.endMs = now;
    call.record.outputTokens = call.tokens;
    state.record.outputTokens += call.tokens;
    dispatcher.finished(state, call, call.tokens);
    if (state.done) return;
    const script = state.run.script;
    if (state.round >= script.rounds.length) {
      endRun(state, "ok");
      return;
    }
    const round = script.rounds[state.round]!;
    state.transcript!.appendRound(call.reply, round);
    state.toolStartMs = now;
    dispatcher.park(
      state,
      round.calls.map((c) => c.tool),
    );
    // Parallel calls of a round run concurrently: the phase lasts as long as the slowest.
    const latency = Math.max(0, ...round.calls.map((c) => c.latencyMs));
    agenda.push(now + latency, { kind: "toolsDone", run: state.index });
  }

  function endRun(state: RunState, outcome: "ok" | "error"): void {
    if (state.done) return;
    state.done = true;
    state.record.endMs = now;
    ended++;
    dispatcher.endRun(state, outcome);
    o.onRunEnded?.(ended, runs.length);
  }

  function failRun(state: RunState, error: Error): void {
    if (state.done) return;
    state.record.error = error.message;
    // Overload shedding refused the run (its first call): a miss, counted apart from errors.
    if (error instanceof AugServeOverloadedError) state.record.refused = true;
    for (const [id, call] of live)
      if (call.run === state) {
        engine.abort(id);
        live.delete(id);
      }
    endRun(state, "error");
  }

  let stepInFlight = false;
  for (;;) {
    if (!stepInFlight && engine.hasWork) {
      const step = engine.step({
        maxSteps: o.fuseSteps ? 1_000_000 : 1,
        maxDurationMs: agenda.peekTime() - now,
      });
      if (step !== null) {
        server.record(now, step, engine.stats().kvCacheUsage);
        // The engine reuses its outcome objects: copy what the step-end event needs.
        const emitted = step.emitted.map((e) => ({
          id: e.id,
          tokens: e.tokens,
          first: e.first,
          finished: e.finished,
          cachedTokens: e.cachedTokens ?? 0,
        }));
        for (const e of emitted) {
          const call = live.get(e.id);
          if (call && call.record.startMs === null) call.record.startMs = now;
        }
        stepInFlight = true;
        agenda.push(now + step.durationMs, { kind: "stepDone", emitted });
      }
    }
    const next = agenda.pop();
    if (next === undefined) break;
    if (next.time > o.maxVirtualMs) break;
    now = next.time;
    const event = next.event;
    switch (event.kind) {
      case "arrive": {
        const state = runs[event.run]!;
        state.transcript = transcripts.begin(state.run);
        dispatcher.beginRun(state);
        startCall(state);
        break;
      }
      case "toolsDone": {
        const state = runs[event.run]!;
        if (state.done) break;
        const round = state.run.script.rounds[state.round]!;
        state.record.toolTimeMs += now - state.toolStartMs;
        state.round++;
        dispatcher.unpark(
          state,
          round.calls.map((c) => ({ tool: c.tool, latencyMs: c.latencyMs })),
        );
        startCall(state);
        break;
      }
      case "stepDone": {
        stepInFlight = false;
        for (const e of event.emitted) {
          const call = live.get(e.id);
          if (call === undefined) continue;
          call.cachedTokens = e.cachedTokens;
          if (e.first && call.record.firstTokenMs === null) {
            call.record.firstTokenMs = now;
            if (call.index === 0) call.run.record.firstTokenMs = now;
            dispatcher.firstToken(call);
          }
          if (e.tokens > 0) {
            call.tokens += e.tokens;
            dispatcher.tokens(call, e.tokens);
          }
          if (e.finished) finishCall(call);
        }
        break;
      }
      case "serverAdd":
        addToEngine(event.call, event.priority);
        break;
      case "observe": {
        const s = engine.stats();
        dispatcher.observe({
          kvCacheUsage: s.kvCacheUsage,
          running: s.running,
          waiting: s.waiting,
          preemptionsTotal: s.preemptionsTotal,
        });
        const snap = dispatcher.snapshot?.();
        if (snap) timeline.push({ tMs: now, ...snap });
        // Keep observing while runs are still to come or in progress; stop so the simulation can end.
        if (ended < runs.length) agenda.push(now + o.observeIntervalMs, { kind: "observe" });
        break;
      }
    }
  }
  // Anything still open here hit maxVirtualMs: it is reported as unfinished, never silently dropped.
  const records = runs.map((r) => r.record);
  const makespanMs = Math.max(workload.durationMs, ...records.map((r) => r.endMs ?? now));
  const summary = summarize(records, {
    windowMs: workload.durationMs,
    slo: workload.slo,
    server: server.summary(makespanMs),
  });
  return { policy: o.policy, records, summary, makespanMs, timeline };
}

function makeDispatcher(
  o: ReturnType<typeof resolveRunOptions>,
  send: Parameters<typeof plainDispatcher>[0],
  clock: () => number,
  onReject: (run: DispatchRun, error: Error) => void,
): Dispatcher {
  if (o.policy === "plain") return plainDispatcher(send);
  if (o.policy === "fcfs-window") return windowDispatcher(send, o.window);
  const scheduler = o.createScheduler({
    policy: o.policy,
    slo: o.workload.slo,
    clock: { now: clock },
    ...(o.schedulerOptions ? { extra: o.schedulerOptions } : {}),
  });
  const predictor: Predictor = o.predictor();
  return schedulerDispatcher(send, scheduler, predictor, {
    oracle: o.policy === "augserve-oracle",
    slo: o.workload.slo,
    onReject,
  });
}

export type { EngineFactory, SchedulerFactory };
