/**
 * The package's root export (issue 23, item 7): what a LangChain user needs, at most 60 runtime values. The list
 * is pinned: a name added to or dropped from `src/index.ts` fails here until this list and docs/api.md say so.
 */
import { readFileSync } from "node:fs";
import { describe, expect, expectTypeOf, it } from "vitest";
import type {
  AugServe,
  AugServeChatModel,
  AugServeMiddleware,
  AugServeOptions,
  InvokableModel,
  Scheduler,
  SchedulerDeps,
  SchedulerOptions,
} from "../src/index.js";
import * as root from "../src/index.js";

const ROOT_VALUES = [
  "AUGSERVE_ERROR_CLASSES",
  "AUGSERVE_MIDDLEWARE_NAME",
  "AbTestSchema",
  "AugServe",
  "AugServeChatModel",
  "AugServeContextSchema",
  "AugServeDrainingError",
  "AugServeError",
  "AugServeIncompleteResponseError",
  "AugServeInvalidModelError",
  "AugServeMetrics",
  "AugServeOptionsError",
  "AugServeOptionsSchema",
  "AugServeOverloadedError",
  "AugServeTimeoutError",
  "CallCancelledError",
  "FleetOptionsError",
  "POLICY_NAMES",
  "PRIORITY_CLASS_KEY",
  "PredictorOptionsError",
  "PredictorStateError",
  "QueueFullError",
  "RUN_ID_KEY",
  "Scheduler",
  "SchedulerOptionsError",
  "SchedulerOptionsSchema",
  "TENANT_KEY",
  "UnknownPolicyError",
  "approximateTokenCount",
  "augserve",
  "augserveMiddleware",
  "createAugServe",
  "createPredictor",
  "createScheduler",
  "defaultPredictor",
  "defaultScheduler",
  "findAugServeError",
  "findError",
  "loadOrCold",
  "loadPredictor",
  "localTokenCounts",
  "metricsFor",
  "parseAugServeOptions",
  "savePredictor",
  "supportsPriority",
  "toRunEstimate",
  "withAugServe",
  "withPriority",
];

describe("the root export", () => {
  it("holds exactly the pinned runtime values, at most 60", () => {
    const names = Object.keys(root).sort();
    expect(names).toEqual([...ROOT_VALUES].sort());
    expect(names.length).toBeLessThanOrEqual(60);
  });

  it("docs/api.md lists every root value", () => {
    const doc = readFileSync(new URL("../docs/api.md", import.meta.url), "utf8");
    for (const name of ROOT_VALUES) expect(doc, name).toContain(`\`${name}\``);
  });

  it("createScheduler is the pure scheduler's (no `shared` option: that is augserve/fleet's)", async () => {
    const pure = await import("../src/scheduler/index.js");
    const fleet = await import("../src/fleet/index.js");
    expect(root.createScheduler).toBe(pure.createScheduler);
    expect(root.createScheduler).not.toBe(fleet.createSharedScheduler);
  });

  it("types the key signatures", () => {
    expectTypeOf(root.augserve).toEqualTypeOf<(options?: AugServeOptions) => AugServeMiddleware>();
    expectTypeOf(root.withAugServe).toEqualTypeOf<
      (model: InvokableModel, options?: AugServeOptions | AugServe) => AugServeChatModel
    >();
    expectTypeOf(root.createAugServe).toEqualTypeOf<(options?: AugServeOptions) => AugServe>();
    expectTypeOf(root.createScheduler).toEqualTypeOf<
      (options?: SchedulerOptions, deps?: Partial<SchedulerDeps>) => Scheduler
    >();
    expectTypeOf(root.POLICY_NAMES).toEqualTypeOf<
      readonly ["fcfs", "sjf", "las", "augserve", "augserve-oracle"]
    >();
  });
});
