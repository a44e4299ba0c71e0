/**
 * The virtual-time benchmark driver: the workload's runs in the virtual world (world.ts) with one engine
 * behind a dispatcher (plain, fcfs-window, or the real scheduler). The runs' conversations are rendered as a
 * client sends them (tokens.ts), so that the scheduler's token accounting sees what it would in a deployment.
 */

import type { RunRecord } from "../../metrics/records.js";
import type { ServerSummary } from "../../metrics/server.js";
import { type RunSummary, summarize } from "../../metrics/summary.js";
import type { Predictor } from "../../predict/types.js";
import {
  type Dispatcher,
  type DispatchRun,
  plainDispatcher,
  type Send,
  schedulerDispatcher,
  windowDispatcher,
} from "./dispatch.js";
import type { EngineFactory, SchedulerFactory, VirtualEngine } from "./engine-port.js";
import { type BenchPolicy, resolveRunOptions, type VirtualRunOptions } from "./options.js";
import { type Reply, type RunTranscript, Transcripts } from "./tokens.js";
import { runWorld, type WorldCall, type WorldLink, type WorldRun, type WorldServers } from "./world.js";

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

type ResolvedOptions = ReturnType<typeof resolveRunOptions>;

/** What the single server keeps per call: what the client sends and the reply it gets. */
interface SingleCall {
  readonly promptTokens: number;
  readonly conversation: RunTranscript["size"];
  readonly reply: Reply;
}

/** A run as the dispatcher sees it, with the world's run it stands for. */
interface SingleRun extends DispatchRun {
  readonly world: WorldRun;
  /** The run's conversation so far: the next call's prompt ids, and what a client sees of it. */
  transcript?: RunTranscript;
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
  const world = runWorld<SingleCall>({
    workload,
    servers: (link) => singleServer(o, link),
    maxSteps: o.fuseSteps ? 1_000_000 : 1,
    serverOverheadMs: o.serverOverheadMs,
    observeIntervalMs: o.observeIntervalMs,
    maxVirtualMs: o.maxVirtualMs,
    markRefusals: true,
    onRunEnded: o.onRunEnded,
  });
  const { records, makespanMs, timeline } = world;
  const summary = summarize(records, {
    windowMs: workload.durationMs,
    slo: workload.slo,
    server: world.servers[0] as ServerSummary,
  });
  return { policy: o.policy, records, summary, makespanMs, timeline };
}

/** One engine behind the policy's dispatcher; prompts are the runs' rendered conversations. */
function singleServer(o: ResolvedOptions, link: WorldLink<SingleCall>): WorldServers<SingleCall> {
  const engine: VirtualEngine = o.createEngine({ profile: o.profile, schedulingPolicy: o.engineScheduling });
  const dispatcher = makeDispatcher(
    o,
    (_run, call, priority) => link.send(0, call as WorldCall<SingleCall>, priority),
    link.now,
    (run, error) => link.fail((run as SingleRun).world, error),
  );
  const transcripts = new Transcripts(o.workload.runs);
  const runs: SingleRun[] = [];
  const of = (state: WorldRun) => runs[state.index] as SingleRun;
  return {
    engines: [engine],
    begin(state) {
      const run: SingleRun = { run: state.run, world: state, transcript: transcripts.begin(state.run) };
      runs[state.index] = run;
      dispatcher.beginRun(run);
    },
    prepare(state, _index, _outputTokens, isFinal) {
      const transcript = of(state).transcript as RunTranscript;
      const reply = transcript.reply(isFinal);
      return {
        promptTokens: transcript.promptIds.length,
        conversation: transcript.size,
        prompt: transcript.promptIds.slice(),
        output: reply.outputIds,
        reply,
      };
    },
    submit: (state, call) => dispatcher.submit(of(state), call),
    firstToken: (call) => dispatcher.firstToken(call),
    tokens: (call, count) => dispatcher.tokens(call, count),
    finished: (state, call) => dispatcher.finished(of(state), call, call.tokens),
    appendRound: (state, call, round) => of(state).transcript?.appendRound(call.reply, round),
    park: (state, tools) => dispatcher.park(of(state), tools),
    unpark: (state, latencies) => dispatcher.unpark(of(state), latencies),
    end: (state, outcome) => dispatcher.endRun(of(state), outcome),
    observe: (_server, signals) => dispatcher.observe(signals),
    snapshot: () => dispatcher.snapshot?.(),
  };
}

function makeDispatcher(
  o: ResolvedOptions,
  send: Send,
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
