/**
 * The multi-replica virtual-time benchmark (`augserve bench --replicas N --placement P`): the runs of a
 * workload in the virtual world (src/ab/virtual/world.ts) with N simulator engines, each stepping on its own,
 * and the gateway's scheduling (fleet.ts) in front of them. Prompts are synthetic token ids (a run's first
 * prompt, then each reply and the round's results appended), enough for the replicas' prefix caches.
 */

import type { PlacementPolicy } from "../../gateway/placement/placer.js";
import type { RunRecord } from "../../metrics/records.js";
import { type RunSummary, summarize } from "../../metrics/summary.js";
import { createPredictor } from "../../predict/predictor.js";
import { createScheduler } from "../../scheduler/create-scheduler.js";
import type { SchedulerOptions } from "../../scheduler/options.js";
import type { PolicyName } from "../../scheduler/types.js";
import { Engine } from "../../sim/engine/engine.js";
import { getProfile } from "../../sim/engine/profiles.js";
import type { GeneratedWorkload } from "../../workload/types.js";
import { meanServerSummary } from "../server-summary.js";
import { firstPromptIds, syntheticIds } from "../virtual/tokens.js";
import {
  runWorld,
  type WorldCall,
  type WorldLink,
  type WorldRun,
  type WorldServers,
} from "../virtual/world.js";
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

/** What a replica call keeps besides the world's: the replica the placer chose and its ticket. */
type ReplicaCall = Pick<FleetCall, "replica" | "ticket">;

/** Runs the workload over `replicas` engines behind the gateway's placement and per-replica schedulers. */
export function runReplicas(options: ReplicaRunOptions): ReplicaResult {
  const { workload, replicas: n, placement } = options;
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new RangeError(`Expected 1..64 replicas, got ${n}`);
  const profile = options.profile ?? "llama3-8b-h100";
  let servers: ReplicaServers | undefined;
  const world = runWorld<ReplicaCall>({
    workload,
    servers: (link) => {
      servers = replicaServers(options, profile, link);
      return servers.strategy;
    },
    maxSteps: 1_000_000,
    serverOverheadMs: getProfile(profile).serverOverheadMs,
    observeIntervalMs: options.observeIntervalMs ?? 1000,
    maxVirtualMs: Number.POSITIVE_INFINITY,
    markRefusals: false,
    onRunEnded: options.onRunEnded,
  });
  const { engines, fleet } = servers as ReplicaServers;
  const summary = summarize(world.records, {
    windowMs: workload.durationMs,
    slo: workload.slo,
    server: meanServerSummary(world.servers),
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
    records: world.records,
    summary,
    prefixHitRate: queries === 0 ? 0 : hits / queries,
    callsPerReplica: world.callsPerServer,
    decisions: Object.fromEntries(fleet.decisions),
  };
}

interface ReplicaServers {
  engines: Engine[];
  fleet: Fleet;
  strategy: WorldServers<ReplicaCall>;
}

/** N engines behind the gateway's placer and one scheduler per replica; prompts are synthetic ids. */
function replicaServers(
  options: ReplicaRunOptions,
  profile: string,
  link: WorldLink<ReplicaCall>,
): ReplicaServers {
  const { workload } = options;
  const engines = Array.from(
    { length: options.replicas },
    () => new Engine({ profile, schedulingPolicy: "fcfs" }),
  );
  const schedulers = engines.map(() =>
    createScheduler(
      { ...options.schedulerOptions, policy: options.policy ?? "augserve", slo: workload.slo },
      { clock: { now: link.now } },
    ),
  );
  const fleetRuns: FleetRun[] = [];
  const worldRuns = new Map<FleetRun, WorldRun>();
  const tokenIds: number[][] = [];
  const fleet = new Fleet({
    schedulers,
    predictor: createPredictor(),
    placement: options.placement,
    slo: workload.slo,
    oracle: options.policy === "augserve-oracle",
    send: (replica, call, priority) => link.send(replica, call as WorldCall<ReplicaCall>, priority),
    onReject: (run, error) => {
      const state = worldRuns.get(run);
      if (state) link.fail(state, error);
    },
  });
  const of = (state: WorldRun) => fleetRuns[state.index] as FleetRun;
  const strategy: WorldServers<ReplicaCall> = {
    engines,
    begin(state) {
      tokenIds[state.index] = firstPromptIds(state.run);
      const run = fleet.begin(state.run);
      fleetRuns[state.index] = run;
      worldRuns.set(run, state);
    },
    prepare: (state, index, outputTokens) => ({
      prompt: (tokenIds[state.index] as number[]).slice(),
      output: syntheticIds(`${state.run.id}:out:${index}`, outputTokens),
      replica: -1,
    }),
    submit: (state, call) => fleet.submit(of(state), call),
    firstToken: (call) => call.ticket?.onFirstToken(),
    tokens: (call, count) => call.ticket?.onTokens(count),
    finished: (state, call) => fleet.finished(of(state), call, call.tokens),
    appendRound(state, call, round) {
      const resultTokens = round.calls.reduce((sum, c) => sum + c.resultTokens, 0);
      const ids = syntheticIds(`${state.run.id}:tools:${state.round}`, resultTokens);
      tokenIds[state.index]?.push(...call.output, ...ids);
    },
    park: (state, tools) => fleet.park(of(state), tools),
    unpark: (state, latencies) => fleet.unpark(of(state), latencies),
    end: (state, outcome) => fleet.end(of(state), outcome),
    observe: (replica, signals) => fleet.observe(replica, signals),
  };
  return { engines, fleet, strategy };
}
