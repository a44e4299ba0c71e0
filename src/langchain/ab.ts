/**
 * The production A/B split: which arm a run is in and what each arm's runs go through.
 */
import type { ResolvedAugServeOptions } from "./options.js";
import type { ArmName, Treatment } from "./report.js";
import { hashUnit } from "./stats.js";

type AbTest = ResolvedAugServeOptions["abTest"];

/** Treatment of each arm, from the A/B mode (no A/B test: every run is scheduled). */
export function treatmentsOf(ab: AbTest): Record<ArmName, Treatment> {
  switch (ab?.mode) {
    case "aa-plain":
      return { control: "plain", treatment: "plain" };
    case "aa-scheduled":
      return { control: "scheduled", treatment: "scheduled" };
    default:
      return { control: "plain", treatment: "scheduled" };
  }
}

/**
 * The arm of a run: deterministic and sticky, `hash(seed | key) < fraction` is the treatment arm, where the
 * key is the thread id (the run id when there is none, or with `key: "run"`).
 */
export function armOf(ab: AbTest, runId: string, threadId: string | undefined): ArmName {
  if (ab === undefined) return "treatment";
  const key = ab.key === "thread" && threadId !== undefined ? `t:${threadId}` : `r:${runId}`;
  return hashUnit(`${ab.seed}|${key}`) < ab.fraction ? "treatment" : "control";
}
