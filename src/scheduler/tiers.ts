/**
 * Rank tiers of queued calls, lower first: `TIERS_PER_CLASS x class + stage`. The class (interactive 0,
 * background 1) comes first, so background work runs on what interactive work leaves; within a class:
 * - `Committed`: a later call of a run that was admitted and can still meet its SLO, under overload
 *   shedding (the run was promised service);
 * - `Viable`: a call that can still meet its SLO (every such call without shedding; a first call with it);
 * - `Hopeless`: a call of a run that can no longer meet its SLO (latched per run).
 */
export const Stage = { Committed: 0, Viable: 1, Hopeless: 2 } as const;

/** Tiers per class: a background call's tier is `TIERS_PER_CLASS + stage`, behind every interactive one. */
export const TIERS_PER_CLASS = 3;

/** Tier offset of a run's class. */
export function classTier(priorityClass: "interactive" | "background"): number {
  return priorityClass === "background" ? TIERS_PER_CLASS : 0;
}

/** Whether a tier's calls can still meet their SLO. */
export function isViableTier(tier: number): boolean {
  return tier % TIERS_PER_CLASS !== Stage.Hopeless;
}
