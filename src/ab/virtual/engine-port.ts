/**
 * What the virtual driver needs of the simulator's engine and of the scheduler, as structural types, with the
 * factories that build the real ones. The driver is written against these so that tests can also drive it
 * with other parts.
 */
import type { SchedulerOptions } from "../../scheduler/options.js";
import type { Clock, PolicyName, SchedulerApi, Slo } from "../../scheduler/types.js";
import type { EngineRequest, EngineStats } from "../../sim/types.js";

/** What the driver reads of one request's part in a step (a subset of the simulator's `StepEmission`). */
export interface EngineEmission {
  id: string;
  tokens: number;
  first: boolean;
  finished: boolean;
  /** Prompt tokens served from the prefix cache when the request was admitted (the server's `cached_tokens`). */
  cachedTokens?: number;
}

/** The engine gauges the driver reads (a subset of the simulator's `EngineStats`). */
export type EngineGauges = Pick<EngineStats, "running" | "waiting" | "kvCacheUsage" | "preemptionsTotal">;

/** One engine outcome as the driver reads it (a subset of the simulator's `StepOutcome`). */
export interface EngineStep {
  durationMs: number;
  /** Iterations covered by the outcome (fused decode-only stretches); 1 when absent. */
  steps?: number;
  batchSize: number;
  emitted: readonly EngineEmission[];
  preempted: readonly string[];
}

/** The step-based engine (the simulator's `SimEngine`). */
export interface VirtualEngine {
  add(request: EngineRequest): void;
  abort(id: string): unknown;
  /** `maxSteps`/`maxDurationMs` allow fused decode-only outcomes; engines may ignore them. */
  step(options?: { maxSteps?: number; maxDurationMs?: number }): EngineStep | null;
  stats(): EngineGauges;
  readonly hasWork: boolean;
}

/** Builds a fresh engine for a profile. `schedulingPolicy` is the server's own queue order. */
export type EngineFactory = (options: {
  profile: string;
  schedulingPolicy: "fcfs" | "priority";
}) => VirtualEngine;

/** Builds a fresh scheduler reading the virtual clock. */
export type SchedulerFactory = (options: {
  policy: PolicyName;
  slo: Slo;
  clock: Clock;
  /** Further scheduler options (budget, weights, ...) for ablations; `policy` and `slo` win. */
  extra?: SchedulerOptions;
}) => SchedulerApi;
