/**
 * Policy names live in one place (issue 23, item 4): the scheduler's table of policies, its options, the
 * gateway's options, the CLI and the benchmarks' arms all derive from `POLICY_NAMES` and agree.
 */
import { describe, expect, it } from "vitest";
import { LIVE_POLICIES } from "../../src/ab/live/options.js";
import { BENCH_ONLY_POLICIES, BENCH_POLICIES } from "../../src/ab/virtual/options.js";
import { BenchFlagsSchema } from "../../src/cli/bench-command.js";
import { GatewayOptionsSchema } from "../../src/gateway/options.js";
import {
  createPolicy,
  LIVE_POLICY_NAMES,
  POLICY_NAMES,
  SchedulerOptionsSchema,
  UnknownPolicyError,
} from "../../src/scheduler/index.js";

describe("policy names", () => {
  it("every name has a policy of that name, and no other name has one", () => {
    for (const name of POLICY_NAMES) expect(createPolicy(name).name).toBe(name);
    expect(() => createPolicy("edf")).toThrow(UnknownPolicyError);
    try {
      createPolicy("edf");
    } catch (error) {
      expect((error as UnknownPolicyError).message).toContain(POLICY_NAMES.join(", "));
    }
  });

  it("the live policies are every policy but the oracle", () => {
    expect(POLICY_NAMES.filter((p) => !(LIVE_POLICY_NAMES as readonly string[]).includes(p))).toEqual([
      "augserve-oracle",
    ]);
  });

  it("the scheduler's and the gateway's options accept exactly these names", () => {
    expect(SchedulerOptionsSchema.shape.policy.unwrap().options).toEqual([...POLICY_NAMES]);
    expect(GatewayOptionsSchema.shape.policy.unwrap().options).toEqual([...LIVE_POLICY_NAMES]);
  });

  it("the benchmarks' arms are the client-side baselines followed by the scheduler's policies", () => {
    expect(BENCH_POLICIES).toEqual([...BENCH_ONLY_POLICIES, ...POLICY_NAMES]);
    expect(LIVE_POLICIES).toEqual([...BENCH_ONLY_POLICIES, ...LIVE_POLICY_NAMES]);
    const flags = BenchFlagsSchema.parse({ workload: "w.json" });
    expect(flags.policies).toEqual([...BENCH_POLICIES]);
  });
});
