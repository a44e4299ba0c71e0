/**
 * The demo's three arms, played live at once and in virtual time on the same runs: `plain` (the agent as a
 * LangChain app has it), `augserve` with `overload: "queue"` (every run is served, hopeless ones after the
 * others: most goodput) and with `overload: "shed"` (a run that cannot start within its TTFT target is refused
 * at once: fast refusals instead of long waits). Both modes measured over one horizon: runs still open at
 * `horizonMs` (workload ms from the window's start) count as unfinished, live and virtual alike, so that the
 * demo ends in a known time and the two modes are read on the same runs.
 */

import { type RunRecord, sortedTtftMs, summarize } from "../../metrics/index.js";
import type { SchedulerOptions } from "../../scheduler/options.js";
import type { GeneratedWorkload } from "../../workload/types.js";
import { type BenchResultRow, resultRow } from "../results.js";
import { runVirtual } from "../virtual/driver.js";
import { runLiveInThread } from "./arm-thread.js";
import type { LiveResult } from "./driver.js";
import type { LoadReport } from "./lag.js";

/** One arm: a label (the report's policy name), the bench policy and its scheduler options. */
export interface DemoArm {
  label: "plain" | "augserve" | "augserve-shed";
  policy: "plain" | "augserve";
  schedulerOptions?: SchedulerOptions;
}

/** The demo's arms, in the order of its table. */
export const DEMO_ARMS: readonly DemoArm[] = [
  { label: "plain", policy: "plain" },
  { label: "augserve", policy: "augserve", schedulerOptions: { overload: "queue" } },
  { label: "augserve-shed", policy: "augserve", schedulerOptions: { overload: "shed" } },
];

/**
 * The records as seen at `horizonMs`: a run (or first token) that came later is not there yet. A run that ended
 * later becomes unfinished (a miss), its first token too if it came later.
 */
export function cutAtHorizon(records: readonly RunRecord[], horizonMs: number): RunRecord[] {
  return records.map((r) => {
    const late = (t: number | null) => (t !== null && t > horizonMs ? null : t);
    const endMs = late(r.endMs);
    const cut: RunRecord = { ...r, endMs, firstTokenMs: late(r.firstTokenMs) };
    // A run that had not ended at the horizon has no outcome yet, refusal or error included.
    if (endMs === null && r.endMs !== null) {
      delete cut.error;
      delete cut.refused;
    }
    return cut;
  });
}

/** The report row of an arm's records, cut at the horizon. */
function armRow(
  arm: DemoArm,
  rate: number,
  workload: GeneratedWorkload,
  records: readonly RunRecord[],
  server: Parameters<typeof summarize>[1]["server"],
  horizonMs: number,
): BenchResultRow {
  const cut = cutAtHorizon(records, horizonMs);
  const summary = summarize(cut, { windowMs: workload.durationMs, slo: workload.slo, server });
  const ttfts = sortedTtftMs(cut);
  return resultRow(arm.label, rate, summary, ttfts);
}

/** The arms in virtual time on `workload` (the same runs as live), cut at the horizon. */
export function runArmsVirtual(
  workload: GeneratedWorkload,
  options: { profile: string; rate: number; horizonMs: number; arms?: readonly DemoArm[] },
): BenchResultRow[] {
  return (options.arms ?? DEMO_ARMS).map((arm) => {
    const result = runVirtual({
      workload,
      policy: arm.policy,
      profile: options.profile,
      ...(arm.schedulerOptions ? { schedulerOptions: arm.schedulerOptions } : {}),
    });
    return armRow(arm, options.rate, workload, result.records, result.summary.server, options.horizonMs);
  });
}

/** What the live arms gave: a row per arm and how loaded each arm's thread was. */
export interface LiveArms {
  rows: BenchResultRow[];
  load: Array<{ label: DemoArm["label"]; load: LoadReport; wallMs: number }>;
  results: LiveResult[];
}

/**
 * Plays the arms live at once in real time (time scale 1), each in its own worker thread with its own
 * simulator, and stops each at the horizon (or earlier, once every open run is decided: `stopWhenSloDecided`).
 */
export async function runArmsLive(
  workload: GeneratedWorkload,
  options: {
    profile: string;
    rate: number;
    horizonMs: number;
    arms?: readonly DemoArm[];
    onRunEnded?: (arm: DemoArm["label"], ended: number, total: number) => void;
  },
): Promise<LiveArms> {
  const arms = options.arms ?? DEMO_ARMS;
  const results = await Promise.all(
    arms.map((arm) =>
      runLiveInThread(
        {
          workload,
          policy: arm.policy,
          profile: options.profile,
          timeScale: 1,
          stopWhenSloDecided: true,
          // Runs open at the horizon are cut anyway; a second of slack for the lead-in and warm-up.
          maxWallMs: options.horizonMs + 1000,
          ...(arm.schedulerOptions ? { schedulerOptions: arm.schedulerOptions } : {}),
        },
        (ended, total) => options.onRunEnded?.(arm.label, ended, total),
      ),
    ),
  );
  const rows = results.map((result, i) => {
    const arm = arms[i] as DemoArm;
    const s = result.server;
    const server = {
      busyFraction: s.busyFraction ?? 0,
      meanBatchSize: s.meanBatchSize ?? 0,
      kvUsageMean: s.kvUsageMean ?? 0,
      preemptions: s.preemptions ?? 0,
    };
    const row = armRow(arm, options.rate, workload, result.records, server, options.horizonMs);
    row.server = { ...s };
    return row;
  });
  return {
    rows,
    load: results.map((r, i) => ({
      label: (arms[i] as DemoArm).label,
      load: r.load,
      wallMs: r.wallMs,
    })),
    results,
  };
}
