/**
 * The real parts behind `runVirtual`: the simulator's `Engine` and the scheduler's `createScheduler` on the
 * driver's virtual clock, a fresh one of each per call (so every policy starts from a cold server).
 */
import { createScheduler } from "../../scheduler/index.js";
import { Engine } from "../../sim/index.js";
import type { EngineFactory, SchedulerFactory } from "./engine-port.js";

export const defaultEngineFactory: EngineFactory = ({ profile, schedulingPolicy }) =>
  new Engine({ profile, schedulingPolicy });

export const defaultSchedulerFactory: SchedulerFactory = ({ policy, slo, clock, extra }) =>
  createScheduler({ ...extra, policy, slo }, { clock });
