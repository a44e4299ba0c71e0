/**
 * The virtual world: a discrete-event simulation of a workload's runs on one virtual clock. Runs are state
 * machines that follow their scripts (arrive -> call -> tool phase -> call ... -> final answer); calls go through
 * their life cycle (submitted, sent, in an engine's queue, first token, tokens, finished); engines step whenever
 * they have work, each step advancing its engine's clock by its modelled duration (tokens of a step arrive at its
 * end). No timers, no HTTP, no promises: events are taken from a heap in (time, sequence) order.
 *
 * The world owns all of that. What differs between the benches is a small {@link WorldServers} strategy: which
 * engines there are (one, or N replicas), how a call reaches one (a dispatcher, or the gateway's placer and
 * per-replica schedulers) and how a run's prompt grows from call to call.
 */
import type { CallRecord, RunRecord } from "../../metrics/records.js";
import { ServerMetrics, type ServerSummary } from "../../metrics/server.js";
import { AugServeOverloadedError } from "../../scheduler/errors.js";
import type { ServerSignals } from "../../scheduler/types.js";
import type { GeneratedRun, GeneratedWorkload, ScriptRound } from "../../workload/types.js";
import { openCallRecord, openRunRecord } from "../run-records.js";
import type { VirtualEngine } from "./engine-port.js";
import { EventQueue } from "./event-queue.js";

/** One run as the world carries it. */
export interface WorldRun {
  readonly run: GeneratedRun;
  /** Its index in the workload's runs. */
  readonly index: number;
  readonly record: RunRecord;
  /** Tool rounds done. */
  round: number;
  toolStartMs: number;
  done: boolean;
}

/** What the servers strategy builds for a call: its prompt and its scripted output, as token ids. */
export interface CallTokens {
  readonly prompt: number[];
  readonly output: number[];
}

/** One call as the world carries it; `X` is what the servers strategy keeps besides. */
export type WorldCall<X extends object = object> = CallTokens &
  X & {
    readonly id: string;
    /** Index of the call within its run (0 = first call). */
    readonly index: number;
    readonly run: WorldRun;
    /** Scripted output tokens. */
    readonly outputTokens: number;
    readonly record: CallRecord;
    /** Output tokens received so far. */
    tokens: number;
    /** Prompt tokens its engine served from the prefix cache (the server's `cached_tokens`), once admitted. */
    cachedTokens: number;
  };

/** What the world offers its servers strategy. */
export interface WorldLink<X extends object> {
  /** The virtual clock, ms. */
  now(): number;
  /** The call may go to engine `server` now (it reaches the engine's queue after the server's overhead). */
  send(server: number, call: WorldCall<X>, priority: number): void;
  /** The run fails with `error` (a rejected call): its calls are aborted and it ends. */
  fail(run: WorldRun, error: Error): void;
}

/** The scheduler's queue and budget at one observation (the report's timeline point, less its time). */
export interface SchedulerSnapshot {
  queued: number;
  inFlightTokens: number;
  budgetTokens: number;
}

/** The one thing that differs between the single-server and the replica worlds. */
export interface WorldServers<X extends object> {
  /** The engines calls are served by (their index is the `server` of {@link WorldLink.send}). */
  readonly engines: readonly VirtualEngine[];
  /** The run arrives: its conversation begins. */
  begin(run: WorldRun): void;
  /** The prompt and scripted output of the run's next call, with what the strategy keeps per call. */
  prepare(run: WorldRun, index: number, outputTokens: number, isFinal: boolean): CallTokens & X;
  /** The call is submitted; the strategy sends it on (now or later) through {@link WorldLink.send}. */
  submit(run: WorldRun, call: WorldCall<X>): void;
  firstToken(call: WorldCall<X>): void;
  tokens(call: WorldCall<X>, count: number): void;
  /** The call ended with `call.tokens` output tokens. */
  finished(run: WorldRun, call: WorldCall<X>): void;
  /** The call asked for tools: the run's next prompt is its reply and the round's results. */
  appendRound(run: WorldRun, call: WorldCall<X>, round: ScriptRound): void;
  /** The run enters a tool phase of these tools. */
  park(run: WorldRun, tools: string[]): void;
  /** The tool phase ended; `latencies` are the round's tool latencies. */
  unpark(run: WorldRun, latencies: ReadonlyArray<{ tool: string; latencyMs: number }>): void;
  end(run: WorldRun, outcome: "ok" | "error"): void;
  /** Engine `server`'s stats, as the schedulers see them (every `observeIntervalMs`). */
  observe(server: number, signals: ServerSignals): void;
  /** The scheduler's state after an observation, for the timeline (single-scheduler strategies only). */
  snapshot?(): SchedulerSnapshot | undefined;
}

export interface WorldOptions<X extends object> {
  workload: GeneratedWorkload;
  /** Builds the servers strategy on the world's link (called once, before any event). */
  servers: (link: WorldLink<X>) => WorldServers<X>;
  /** Engine iterations one outcome may fuse (decode-only stretches); 1 for no fusing. */
  maxSteps: number;
  /** Time from a call's dispatch to its arrival in the engine's queue, ms. */
  serverOverheadMs: number;
  /** How often the engines' stats are observed, virtual ms. */
  observeIntervalMs: number;
  /** Safety stop, virtual ms; runs open then are reported unfinished. */
  maxVirtualMs: number;
  /**
   * Mark a run refused by overload shedding as `refused` (a miss, counted apart from errors). The replica bench
   * has never marked them (its refusals count as errors); kept so its figures stay as they were.
   */
  markRefusals: boolean;
  onRunEnded?: ((ended: number, total: number) => void) | undefined;
}

/** What a world's run leaves: the records and the server side. */
export interface WorldResult {
  records: RunRecord[];
  /** Virtual time when the last run ended (at least the arrival window), ms. */
  makespanMs: number;
  /** Each engine's server side over the makespan. */
  servers: ServerSummary[];
  /** Calls each engine took. */
  callsPerServer: number[];
  timeline: Array<SchedulerSnapshot & { tMs: number }>;
}

/** One request's part in a step, copied (the engine reuses its outcome objects). */
interface Emission {
  id: string;
  tokens: number;
  first: boolean;
  finished: boolean;
  cachedTokens: number;
}

type Event<C> =
  | { kind: "arrive"; run: number }
  | { kind: "toolsDone"; run: number }
  | { kind: "stepDone"; server: number; emitted: Emission[] }
  | { kind: "observe" }
  | { kind: "serverAdd"; server: number; call: C; priority: number };

/**
 * Runs the workload to its end (or `maxVirtualMs`) and returns its records. Every run ends with its final
 * answer or an error; none is abandoned.
 */
export function runWorld<X extends object>(options: WorldOptions<X>): WorldResult {
  return new World(options).run();
}

class World<X extends object> {
  readonly #o: WorldOptions<X>;
  readonly #agenda = new EventQueue<Event<WorldCall<X>>>();
  readonly #servers: WorldServers<X>;
  readonly #engines: readonly VirtualEngine[];
  readonly #metrics: ServerMetrics[];
  readonly #stepping: boolean[];
  readonly #live: Map<string, WorldCall<X>>[];
  readonly #calls: number[];
  readonly #runs: WorldRun[];
  readonly #timeline: WorldResult["timeline"] = [];
  #now = 0;
  #ended = 0;

  constructor(o: WorldOptions<X>) {
    this.#o = o;
    this.#servers = o.servers({
      now: () => this.#now,
      send: (server, call, priority) => this.#send(server, call, priority),
      fail: (run, error) => this.#failRun(run, error),
    });
    this.#engines = this.#servers.engines;
    this.#metrics = this.#engines.map(() => new ServerMetrics());
    this.#stepping = this.#engines.map(() => false);
    this.#live = this.#engines.map(() => new Map());
    this.#calls = this.#engines.map(() => 0);
    this.#runs = o.workload.runs.map((run, index) => ({
      run,
      index,
      round: 0,
      toolStartMs: 0,
      done: false,
      record: openRunRecord(run),
    }));
  }

  run(): WorldResult {
    for (const state of this.#runs)
      this.#agenda.push(state.run.arrivalMs, { kind: "arrive", run: state.index });
    this.#agenda.push(0, { kind: "observe" });
    for (;;) {
      this.#stepEngines();
      const next = this.#agenda.pop();
      if (next === undefined || next.time > this.#o.maxVirtualMs) break;
      this.#now = next.time;
      this.#handle(next.event);
    }
    // Anything still open here hit maxVirtualMs: it is reported as unfinished, never silently dropped.
    const records = this.#runs.map((r) => r.record);
    const makespanMs = Math.max(this.#o.workload.durationMs, ...records.map((r) => r.endMs ?? this.#now));
    return {
      records,
      makespanMs,
      servers: this.#metrics.map((m) => m.summary(makespanMs)),
      callsPerServer: this.#calls,
      timeline: this.#timeline,
    };
  }

  /** Every idle engine with work takes its next step, which ends (its tokens arrive) at its own time. */
  #stepEngines(): void {
    const now = this.#now;
    for (let server = 0; server < this.#engines.length; server++) {
      const engine = this.#engines[server] as VirtualEngine;
      if (this.#stepping[server] || !engine.hasWork) continue;
      const step = engine.step({ maxSteps: this.#o.maxSteps, maxDurationMs: this.#agenda.peekTime() - now });
      if (step === null) continue;
      this.#metrics[server]?.record(now, step, engine.stats().kvCacheUsage);
      // The engine reuses its outcome objects: copy what the step-end event needs.
      const emitted = step.emitted.map((e) => ({
        id: e.id,
        tokens: e.tokens,
        first: e.first,
        finished: e.finished,
        cachedTokens: e.cachedTokens ?? 0,
      }));
      const live = this.#live[server] as Map<string, WorldCall<X>>;
      for (const e of emitted) {
        const call = live.get(e.id);
        if (call && call.record.startMs === null) call.record.startMs = now;
      }
      this.#stepping[server] = true;
      this.#agenda.push(now + step.durationMs, { kind: "stepDone", server, emitted });
    }
  }

  #handle(event: Event<WorldCall<X>>): void {
    switch (event.kind) {
      case "arrive": {
        const state = this.#runs[event.run] as WorldRun;
        this.#servers.begin(state);
        this.#startCall(state);
        break;
      }
      case "toolsDone":
        this.#toolsDone(this.#runs[event.run] as WorldRun);
        break;
      case "stepDone":
        this.#stepDone(event.server, event.emitted);
        break;
      case "serverAdd":
        this.#addToEngine(event.server, event.call, event.priority);
        break;
      case "observe":
        this.#observe();
        break;
    }
  }

  #send(server: number, call: WorldCall<X>, priority: number): void {
    // The request reaches the engine's queue after the server's per-request overhead, as over HTTP.
    const overheadMs = this.#o.serverOverheadMs;
    if (overheadMs > 0)
      this.#agenda.push(this.#now + overheadMs, { kind: "serverAdd", server, call, priority });
    else this.#addToEngine(server, call, priority);
  }

  #addToEngine(server: number, call: WorldCall<X>, priority: number): void {
    try {
      this.#engines[server]?.add({
        id: call.id,
        promptTokens: call.prompt,
        maxTokens: call.outputTokens,
        outputTokens: call.output,
        priority,
      });
      this.#live[server]?.set(call.id, call);
      this.#calls[server] = (this.#calls[server] as number) + 1;
    } catch (error) {
      this.#failRun(call.run, error as Error);
    }
  }

  #startCall(state: WorldRun): void {
    const script = state.run.script;
    const isFinal = state.round >= script.rounds.length;
    const outputTokens = isFinal ? script.finalOutputTokens : (script.rounds[state.round]?.outputTokens ?? 1);
    const index = state.record.calls.length;
    const tokens = this.#servers.prepare(state, index, outputTokens, isFinal);
    const record = openCallRecord(this.#now);
    state.record.calls.push(record);
    const call: WorldCall<X> = {
      ...tokens,
      id: `${state.run.id}#${index}`,
      index,
      run: state,
      outputTokens,
      record,
      tokens: 0,
      cachedTokens: 0,
    };
    this.#servers.submit(state, call);
  }

  #stepDone(server: number, emitted: readonly Emission[]): void {
    this.#stepping[server] = false;
    const live = this.#live[server] as Map<string, WorldCall<X>>;
    for (const e of emitted) {
      const call = live.get(e.id);
      if (call === undefined) continue;
      call.cachedTokens = e.cachedTokens;
      if (e.first && call.record.firstTokenMs === null) {
        call.record.firstTokenMs = this.#now;
        if (call.index === 0) call.run.record.firstTokenMs = this.#now;
        this.#servers.firstToken(call);
      }
      if (e.tokens > 0) {
        call.tokens += e.tokens;
        this.#servers.tokens(call, e.tokens);
      }
      if (e.finished) this.#finishCall(live, call);
    }
  }

  #finishCall(live: Map<string, WorldCall<X>>, call: WorldCall<X>): void {
    live.delete(call.id);
    const state = call.run;
    call.record.endMs = this.#now;
    call.record.outputTokens = call.tokens;
    state.record.outputTokens += call.tokens;
    this.#servers.finished(state, call);
    if (state.done) return;
    const rounds = state.run.script.rounds;
    if (state.round >= rounds.length) {
      this.#endRun(state, "ok");
      return;
    }
    const round = rounds[state.round] as ScriptRound;
    this.#servers.appendRound(state, call, round);
    state.toolStartMs = this.#now;
    this.#servers.park(
      state,
      round.calls.map((c) => c.tool),
    );
    // Parallel calls of a round run concurrently: the phase lasts as long as the slowest.
    const latency = Math.max(0, ...round.calls.map((c) => c.latencyMs));
    this.#agenda.push(this.#now + latency, { kind: "toolsDone", run: state.index });
  }

  #toolsDone(state: WorldRun): void {
    if (state.done) return;
    const round = state.run.script.rounds[state.round] as ScriptRound;
    state.record.toolTimeMs += this.#now - state.toolStartMs;
    state.round++;
    this.#servers.unpark(
      state,
      round.calls.map((c) => ({ tool: c.tool, latencyMs: c.latencyMs })),
    );
    this.#startCall(state);
  }

  #endRun(state: WorldRun, outcome: "ok" | "error"): void {
    if (state.done) return;
    state.done = true;
    state.record.endMs = this.#now;
    this.#ended++;
    this.#servers.end(state, outcome);
    this.#o.onRunEnded?.(this.#ended, this.#runs.length);
  }

  #failRun(state: WorldRun, error: Error): void {
    if (state.done) return;
    state.record.error = error.message;
    // Overload shedding refused the run (its first call): a miss, counted apart from errors.
    if (this.#o.markRefusals && error instanceof AugServeOverloadedError) state.record.refused = true;
    this.#live.forEach((live, server) => {
      for (const [id, call] of live) {
        if (call.run !== state) continue;
        this.#engines[server]?.abort(id);
        live.delete(id);
      }
    });
    this.#endRun(state, "error");
  }

  #observe(): void {
    this.#engines.forEach((engine, server) => {
      const s = engine.stats();
      this.#servers.observe(server, {
        kvCacheUsage: s.kvCacheUsage,
        running: s.running,
        waiting: s.waiting,
        preemptionsTotal: s.preemptionsTotal,
      });
    });
    const snap = this.#servers.snapshot?.();
    if (snap) this.#timeline.push({ tMs: this.#now, ...snap });
    // Keep observing while runs are still to come or in progress; stop so the simulation can end.
    if (this.#ended < this.#runs.length)
      this.#agenda.push(this.#now + this.#o.observeIntervalMs, { kind: "observe" });
  }
}
