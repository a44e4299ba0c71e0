/**
 * Regression tests for issue 14, defects 4, 5 and 7: option typos were silently replaced by defaults,
 * timer values of 2^31 ms or more became 1 ms, and non-http(s) metrics URLs passed validation.
 */
import { describe, expect, it } from "vitest";
import { AugServeOptionsError, createAugServe } from "../src/langchain/index.js";
import { createScheduler, SchedulerOptionsError, suggestKey } from "../src/scheduler/index.js";
import { MAX_TIMER_MS } from "../src/util/index.js";

const clock = { now: () => 0 };

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected a throw");
}

describe("strict options (issue 14, defect 4)", () => {
  it("createAugServe() - an unknown key is an error naming it, with a did-you-mean", () => {
    expect(() => createAugServe({ callTimeOutMs: 1000 } as never)).toThrow(AugServeOptionsError);
    expect(messageOf(() => createAugServe({ callTimeOutMs: 1000 } as never))).toMatch(
      /callTimeOutMs.*did you mean `callTimeoutMs`/,
    );
    expect(messageOf(() => createAugServe({ abTest: { fracton: 0.1 } } as never))).toMatch(
      /abTest\.fracton.*did you mean `fraction`/,
    );
  });

  it("createScheduler() - unknown keys are rejected at every level, with the path", () => {
    const typo = () => createScheduler({ maxWaitMS: 10 } as never, { clock });
    expect(typo).toThrow(SchedulerOptionsError);
    expect(messageOf(typo)).toMatch(/did you mean `maxWaitMs`/);
    const nested = () => createScheduler({ budget: { mode: "adaptive", tokens: 1000 } } as never, { clock });
    expect(messageOf(nested)).toMatch(/budget\.tokens.*unknown option `tokens`/);
    try {
      nested();
    } catch (error) {
      expect((error as SchedulerOptionsError).field).toBe("budget.tokens");
    }
  });

  it("createScheduler() - a budget without `mode` is the documented default, adaptive", () => {
    const scheduler = createScheduler({ budget: { minTokens: 2048, initialTokens: 4096 } }, { clock });
    expect(scheduler.snapshot().budgetTokens).toBe(4096);
  });

  it("suggestKey() - one edit or a case change away, else nothing", () => {
    expect(suggestKey("maxwaitms", ["maxWaitMs"])).toBe("maxWaitMs");
    expect(suggestKey("polcy", ["policy", "slo"])).toBe("policy");
    expect(suggestKey("budgets", ["budget"])).toBe("budget");
    expect(suggestKey("timeout", ["policy", "slo"])).toBeUndefined();
  });
});

describe("timer bounds (issue 14, defect 5)", () => {
  it("createAugServe() - callTimeoutMs, metricsPollIntervalMs and runIdleTimeoutMs above 2^31 - 1 are rejected", () => {
    for (const field of ["callTimeoutMs", "metricsPollIntervalMs", "runIdleTimeoutMs"]) {
      expect(messageOf(() => createAugServe({ [field]: 3e9 }))).toMatch(new RegExp(`${field}.*2147483647`));
    }
    const aug = createAugServe({ callTimeoutMs: MAX_TIMER_MS, registry: null });
    expect(aug.options.callTimeoutMs).toBe(MAX_TIMER_MS);
    aug.close();
  });
});

describe("metrics URL (issue 14, defect 7)", () => {
  it("createAugServe() - serverMetricsUrl must be an http(s) URL", () => {
    for (const url of ["localhost:8000/metrics", "file:///etc/passwd", "ftp://host/metrics"]) {
      expect(messageOf(() => createAugServe({ serverMetricsUrl: url }))).toMatch(/http:\/\/ or https:\/\//);
    }
  });
});
