/**
 * The names of the scheduler's ordering policies: the one list from which the `PolicyName` type, the options'
 * zod enums, the CLI's choices and the benchmarks' arms derive. Adding a policy means adding its name here and
 * its scoring function in policies.ts (whose table is keyed by `PolicyName`, so the compiler asks for it).
 */

/**
 * The policies that work on live traffic: all but the oracle, which reads each run's hidden script (only a
 * simulation has one).
 */
export const LIVE_POLICY_NAMES = ["fcfs", "sjf", "las", "augserve"] as const;

/** Every ordering policy of the scheduler, in the order the benchmarks report them. */
export const POLICY_NAMES = [...LIVE_POLICY_NAMES, "augserve-oracle"] as const;

/** Scheduling policies; all share one code path and differ only in their scoring function. */
export type PolicyName = (typeof POLICY_NAMES)[number];

/** The policies of {@link LIVE_POLICY_NAMES}. */
export type LivePolicyName = (typeof LIVE_POLICY_NAMES)[number];
