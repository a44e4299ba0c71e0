/**
 * `augserve bench --replicas N [--placement round-robin,least-loaded,augserve] [--duration S]`: the
 * multi-replica A/B in virtual time (docs/gateway.md). The flags' schema is spread into the bench's.
 */
import { z } from "zod";
import { PLACEMENT_POLICIES, type PlacementPolicy } from "../../gateway/placement/placer.js";
import type { SchedulerOptions } from "../../scheduler/options.js";
import type { PolicyName } from "../../scheduler/types.js";
import { commaSeparated, numberFlag } from "../flags.js";
import { writeBenchOutputs } from "../output.js";
import { sweepProgress } from "../progress.js";
import { renderReplicaTable, runReplicaSweep } from "./sweep.js";

/** The multi-replica flags of `augserve bench`. */
export const ReplicaFlagsShape = {
  replicas: numberFlag("an integer replica count", Number.isInteger)
    .pipe(z.number().min(1).max(64, "expected --replicas <= 64"))
    .optional(),
  placement: commaSeparated
    .pipe(
      z
        .array(
          z.enum(PLACEMENT_POLICIES, { error: `expected placements among ${PLACEMENT_POLICIES.join(", ")}` }),
        )
        .min(1),
    )
    .optional(),
};

export interface ReplicaBenchFlags {
  workload: string;
  replicas: number;
  placement?: PlacementPolicy[] | undefined;
  durationS?: number | undefined;
  policies: readonly string[];
  rates?: readonly number[] | undefined;
  seed?: number | undefined;
  profile: string;
  schedulerOptions?: Record<string, unknown> | undefined;
  json?: string | undefined;
  html?: string | undefined;
  quiet: boolean;
}

/** Runs the multi-replica sweep; returns the text for standard output. */
export async function runReplicaBench(flags: ReplicaBenchFlags): Promise<string> {
  // Each replica's scheduler runs one policy: the bench's --policies names it (the default list's augserve).
  const policy = (flags.policies.length === 1 ? flags.policies[0] : "augserve") as PolicyName;
  const progress = sweepProgress({ quiet: flags.quiet });
  const report = runReplicaSweep({
    workload: flags.workload,
    replicas: flags.replicas,
    placements: flags.placement ?? [...PLACEMENT_POLICIES].reverse(),
    ...(flags.rates === undefined ? {} : { rates: flags.rates }),
    ...(flags.seed === undefined ? {} : { seed: flags.seed }),
    ...(flags.durationS === undefined ? {} : { durationS: flags.durationS }),
    policy,
    profile: flags.profile,
    ...(flags.schedulerOptions === undefined
      ? {}
      : { schedulerOptions: flags.schedulerOptions as SchedulerOptions }),
    ...progress.hooks,
  });
  progress.stop();
  const text =
    `workload ${report.workload}, mode virtual, ${flags.replicas} replicas, scheduler policy ${policy}, ` +
    `profile ${report.profile}${flags.durationS === undefined ? "" : `, arrival window ${flags.durationS} s`}\n\n` +
    renderReplicaTable(report.replicaResults, flags.replicas);
  return writeBenchOutputs(report, text, flags);
}
