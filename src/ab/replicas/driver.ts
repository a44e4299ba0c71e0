/**
 * The multi-replica virtual-time benchmark (`augserve bench --replicas N --placement P`): the runs of a
 * workload, N simulator engines on one virtual clock, and the gateway's scheduling (fleet.ts) in front of
 * them. The event loop is the single-engine driver's (src/ab/virtual/driver.ts) with every engine
 * stepping on its own: each engine's step ends at its own time, tokens arrive at step ends.
 */

import type { PlacementPolicy } from "../../gateway/placement/placer.js";
import type { CallRecord, RunRecord } from "../../metrics/records.js";
import { ServerMetrics, type ServerSummary } from "../../metrics/server.js";
import { type RunSummary, summarize } from "../../metrics/summary.js";
import { createPredictor } from "../../predict/predictor.js";
import { createScheduler } from "../../scheduler/create-scheduler.js";
import type { SchedulerOptions } from "../../scheduler/options.js";
import type { PolicyName } from "../../scheduler/types.js";
import { Engine } from "../../sim/engine/engine.js";
import { getProfile } from "../../sim/engine/profiles.js";
import type { GeneratedWorkload } from "../../workload/types.js";
import { EventQueue } from "../virtual/event-queue.js";
import { firstPromptIds, syntheticIds } from "../virtual/tokens.js";
import { Fleet, type FleetCall, type FleetRun } from "./fleet.js";

export interface ReplicaRunOptions {
  workload: GeneratedWorkload;
  replicas: number;
  placement: PlacementPolicy;
  /** Each replica's scheduling policy. @default "augserve" */
  policy?: PolicyName;
  /** @default "llama3-8b-h100" */
  profile?: string;
  /** How often the gateway reads each replica's stats, virtual ms. @default 1000 */
  observeIntervalMs?: number;
  schedulerOptions?: SchedulerOptions;
  onRunEnded?: (ended: number, total: number) => void;
}

export interface ReplicaResult {
  placement: PlacementPolicy;
  replicas: number;
  records: RunRecord[];
  summary: RunSummary;
  /** Prompt tokens served from the replicas' prefix caches / prompt tokens looked up, over all replicas. */
  prefixHitRate: number;
  /** Calls each replica served. */
  callsPerReplica: number[];
  /** Placement decisions by reason. */
  decisions: Record<string, number>;
}

type Event =
  | { kind: "arrive"; run: number }
  | { kind: "toolsDone"; run: number }
  | {
      kind: "stepDone";
      replica: number;
      emitted: Array<{ id: string; tokens: number; first: boolean; finished: boolean }>;
    }
  | { kind: "serverAdd"; replica: number; call: LiveCall; priority: number }
  | { kind: "observe" };

interface LiveCall extends FleetCall {
  readonly id: string;
  readonly state: RunState;
  readonly output: number[];
  readonly record: CallRecord;
  tokens: number;
}

interface RunState {
  fleet: FleetRun | undefined;
  readonly index: number;
  readonly record: RunRecord;
  tokenIds: number[];
  round: number;
  toolStartMs: number;
  done: boolean;
}

function mergeServer(summaries: readonly ServerSummary[]): ServerSummary {
  const n = Math.max(1, summaries.length);
  const sum = (f: (s: ServerSummary) => number) => summaries.reduce((a, s) => a + f(s), 0);
  return {
    busyFraction: sum((s) => s.busyFraction) / n,
    meanBatchSize: sum((s) => s.meanBatchSize) / n,
    kvUsageMean: sum((s) => s.kvUsageMean) / n,
    preemptions: sum((s) => s.preemptions),
  };
}

/** Runs the workload over `replicas` engines behind the gateway's placement and per-replica schedulers. */
export function runReplicas(options: ReplicaRunOptions): ReplicaResult {
  const { workload, replicas: n, placement } = options;
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new RangeError(`Expected 1..64 replicas, got ${n}`);
  const profile = options.profile ?? "llama3-8b-h100";
  const overheadMs = getProfile(profile).serverOverheadMs;
  const observeEvery = options.observeIntervalMs ?? 1000;
  let now = 0;
  const agenda = new EventQueue<Event>();
  const engines = Array.from({ length: n }, () => new Engine({ profile, schedulingPolicy: "fcfs" }));
  const servers = engines.map(() => new ServerMetrics());
  const stepping = engines.map(() => false);
  const live = engines.map(() => new Map<string, LiveCall>());
  const callsPerReplica = engines.map(() => 0);
  const schedulers = engines.map(() =>
    createScheduler(
      { ...options.schedulerOptions, policy: options.policy ?? "augserve", slo: workload.slo },
      {
        clock: { now: () => now },
      },
    ),
  );
  let ended = 0;

  const addToEngine = (replica: number, call: LiveCall, priority: number) => {
    try {
      engines[replica]?.add({
        id: call.id,
        promptTokens: call.prompt,
        maxTokens: call.outputTokens,
        outputTokens: call.output,
        priority,
      });
      live[replica]?.set(call.id, call);
      callsPerReplica[replica] = (callsPerReplica[replica] as number) + 1;
    } catch (error) {
      failRun(call.state, error as Error);
    }
  };
  const fleet = new Fleet({
    schedulers,
    predictor: createPredictor(),
    placement,
    slo: workload.slo,
    oracle: options.policy === "augserve-oracle",
    send: (replica, call, priority) => {
      const c = call as LiveCall;
      if (overheadMs > 0) agenda.push(now + overheadMs, { kind: "serverAdd", replica, call: c, priority });
      else addToEngine(replica, c, priority);
    },
    onReject: (run, error) => {
      const state = states.find((s) => s.fleet === run);
      if (state) failRun(state, error);
    },
  });

  const states: RunState[] = workload.runs.map((run, index) => ({
    fleet: undefined,
    index,
    tokenIds: [],
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
  for (const s of states)
    agenda.push(workload.runs[s.index]?.arrivalMs ?? 0, { kind: "arrive", run: s.index });
  agenda.push(0, { kind: "observe" });

  function startCall(state: RunState): void {
    const run = workload.runs[state.index];
    if (run === undefined || state.fleet === undefined) return;
    const script = run.script;
    const isFinal = state.round >= script.rounds.length;
    const outputTokens = isFinal ? script.finalOutputTokens : (script.rounds[state.round]?.outputTokens ?? 1);
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
      id: `${run.id}#${index}`,
      index,
      state,
      prompt: state.tokenIds.slice(),
      outputTokens,
      output: syntheticIds(`${run.id}:out:${index}`, outputTokens),
      record,
      tokens: 0,
      replica: -1,
    };
    fleet.submit(state.fleet, call);
  }

  function finishCall(call: LiveCall): void {
    live[call.replica]?.delete(call.id);
    const state = call.state;
    const run = workload.runs[state.index];
    call.record.endMs = now;
    call.record.outputTokens = call.tokens;
    state.record.outputTokens += call.tokens;
    if (state.fleet) fleet.finished(state.fleet, call, call.tokens);
    if (state.done || run === undefined || state.fleet === undefined) return;
    if (state.round >= run.script.rounds.length) {
      endRun(state, "ok");
      return;
    }
    const round = run.script.rounds[state.round];
    if (round === undefined) return;
    const resultTokens = round.calls.reduce((sum, c) => sum + c.resultTokens, 0);
    state.tokenIds.push(...call.output, ...syntheticIds(`${run.id}:tools:${state.round}`, resultTokens));
    state.toolStartMs = now;
    fleet.park(
      state.fleet,
      round.calls.map((c) => c.tool),
    );
    agenda.push(now + Math.max(0, ...round.calls.map((c) => c.latencyMs)), {
      kind: "toolsDone",
      run: state.index,
    });
  }

  function endRun(state: RunState, outcome: "ok" | "error"): void {
    if (state.done) return;
    state.done = true;
    state.record.endMs = now;
    ended++;
    if (state.fleet) fleet.end(state.fleet, outcome);
    options.onRunEnded?.(ended, states.length);
  }

  function failRun(state: RunState, error: Error): void {
    if (state.done) return;
    state.record.error = error.message;
    for (let r = 0; r < n; r++) {
      for (const [id, call] of live[r] ?? []) {
        if (call.state !== state) continue;
        engines[r]?.abort(id);
        live[r]?.delete(id);
      }
    }
    endRun(state, "error");
  }

  for (;;) {
    for (let r = 0; r < n; r++) {
      const engine = engines[r] as Engine;
      if (stepping[r] || !engine.hasWork) continue;
      const step = engine.step({ maxSteps: 1_000_000, maxDurationMs: agenda.peekTime() - now });
      if (step === null) continue;
      servers[r]?.record(now, step, engine.stats().kvCacheUsage);
      const emitted = step.emitted.map((e) => ({
        id: e.id,
        tokens: e.tokens,
        first: e.first,
        finished: e.finished,
      }));
      for (const e of emitted) {
        const call = live[r]?.get(e.id);
        if (call && call.record.startMs === null) call.record.startMs = now;
      }
      stepping[r] = true;
      agenda.push(now + step.durationMs, { kind: "stepDone", replica: r, emitted });
    }
    const next = agenda.pop();
    if (next === undefined) break;
    now = next.time;
    const event = next.event;
    switch (event.kind) {
      case "arrive": {
        const state = states[event.run] as RunState;
        const run = workload.runs[event.run];
        if (run === undefined) break;
        state.tokenIds = firstPromptIds(run);
        state.fleet = fleet.begin(run);
        startCall(state);
        break;
      }
      case "toolsDone": {
        const state = states[event.run] as RunState;
        const round = workload.runs[event.run]?.script.rounds[state.round];
        if (state.done || round === undefined || state.fleet === undefined) break;
        state.record.toolTimeMs += now - state.toolStartMs;
        state.round++;
        fleet.unpark(
          state.fleet,
          round.calls.map((c) => ({ tool: c.tool, latencyMs: c.latencyMs })),
        );
        startCall(state);
        break;
      }
      case "stepDone": {
        stepping[event.replica] = false;
        for (const e of event.emitted) {
          const call = live[event.replica]?.get(e.id);
          if (call === undefined) continue;
          if (e.first && call.record.firstTokenMs === null) {
            call.record.firstTokenMs = now;
            if (call.index === 0) call.state.record.firstTokenMs = now;
            call.ticket?.onFirstToken();
          }
          if (e.tokens > 0) {
            call.tokens += e.tokens;
            call.ticket?.onTokens(e.tokens);
          }
          if (e.finished) finishCall(call);
        }
        break;
      }
      case "serverAdd":
        addToEngine(event.replica, event.call, event.priority);
        break;
      case "observe": {
        engines.forEach((engine, r) => {
          const s = engine.stats();
          fleet.observe(r, {
            kvCacheUsage: s.kvCacheUsage,
            running: s.running,
            waiting: s.waiting,
            preemptionsTotal: s.preemptionsTotal,
          });
        });
        if (ended < states.length) agenda.push(now + observeEvery, { kind: "observe" });
        break;
      }
    }
  }
  const records = states.map((s) => s.record);
  const makespanMs = Math.max(workload.durationMs, ...records.map((r) => r.endMs ?? now));
  const summary = summarize(records, {
    windowMs: workload.durationMs,
    slo: workload.slo,
    server: mergeServer(servers.map((s) => s.summary(makespanMs))),
  });
  let hits = 0;
  let queries = 0;
  for (const engine of engines) {
    const s = engine.stats();
    hits += s.prefixCacheHitsTotal;
    queries += s.prefixCacheQueriesTotal;
  }
  return {
    placement,
    replicas: n,
    records,
    summary,
    prefixHitRate: queries === 0 ? 0 : hits / queries,
    callsPerReplica,
    decisions: Object.fromEntries(fleet.decisions),
  };
}
