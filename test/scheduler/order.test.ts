/**
 * Admission order of each policy. A blocker call fills the budget, the candidates queue behind it, and
 * releasing the blocker admits them all in one pass, in queue order.
 */
import { describe, expect, it } from "vitest";
import type { CallTicket, RunFeatures, SchedulerOptions } from "../../src/scheduler/index.js";
import { features, virtualScheduler } from "./helpers.js";

interface Candidate {
  name: string;
  features?: Partial<RunFeatures>;
  expectedOutputTokens?: number;
  /** Output tokens this run was already served (earlier calls), for las. */
  served?: number;
  /** ms the clock moves before this candidate's call is queued. */
  delayMs?: number;
  /** Park this long just before the call (a tool phase). */
  parkMs?: number;
}

function admissionOrder(options: SchedulerOptions, candidates: Candidate[], pressure = false): string[] {
  const { scheduler, clock } = virtualScheduler({ budget: { mode: "fixed", tokens: 100_000 }, ...options });
  const order: string[] = [];
  // Runs arrive when their call is queued, except those that must have been served before the blocker.
  const runs = candidates.map((c) =>
    c.served ? scheduler.beginRun({ runId: c.name, features: features(c.features) }) : undefined,
  );
  candidates.forEach((c, i) => {
    if (!c.served) return;
    runs[i]?.submit(
      { promptTokens: 0, expectedOutputTokens: 1 },
      { onAdmit: (t) => t.complete({ outputTokens: c.served ?? 0 }) },
    );
  });
  let blocker: CallTicket | undefined;
  scheduler.beginRun({ features: features() }).submit(
    { promptTokens: 200_000 },
    {
      onAdmit: (t) => {
        blocker = t;
      },
    },
  );
  if (pressure) scheduler.observe({ waiting: 5, kvCacheUsage: 0.99 });
  candidates.forEach((c, i) => {
    clock.advance(c.delayMs ?? 1);
    const run = runs[i] ?? scheduler.beginRun({ runId: c.name, features: features(c.features) });
    if (c.parkMs !== undefined) {
      run.park();
      clock.advance(c.parkMs);
      run.unpark();
    }
    const spec =
      c.expectedOutputTokens === undefined
        ? { promptTokens: 100 }
        : { promptTokens: 100, expectedOutputTokens: c.expectedOutputTokens };
    run.submit(spec, { onAdmit: () => order.push(c.name) });
  });
  expect(order).toEqual([]);
  blocker?.complete();
  return order;
}

describe("Scheduler policies - admission order", () => {
  it("fcfs - admits in arrival order whatever the size", () => {
    const order = admissionOrder({ policy: "fcfs" }, [
      { name: "big", expectedOutputTokens: 900 },
      { name: "small", expectedOutputTokens: 10 },
      { name: "mid", expectedOutputTokens: 100 },
    ]);
    expect(order).toEqual(["big", "small", "mid"]);
  });

  it("sjf - shorter predicted output first, ties first-come-first-served", () => {
    const order = admissionOrder({ policy: "sjf" }, [
      { name: "big", expectedOutputTokens: 900 },
      { name: "small-1", expectedOutputTokens: 10 },
      { name: "mid", features: { finalOutputTokens: 100 } },
      { name: "small-2", expectedOutputTokens: 10 },
    ]);
    expect(order).toEqual(["small-1", "small-2", "mid", "big"]);
  });

  it("las - less attained service first; a new run before served ones", () => {
    const order = admissionOrder({ policy: "las" }, [
      { name: "served-500", served: 500 },
      { name: "new" },
      { name: "served-50", served: 50 },
    ]);
    expect(order).toEqual(["new", "served-50", "served-500"]);
  });

  it("augserve - shorter predicted remaining work (tool rounds x tokens) first", () => {
    const order = admissionOrder({ policy: "augserve" }, [
      { name: "heavy", features: { remainingToolRounds: 8, outputTokensPerCall: 300 } },
      { name: "light", features: { remainingToolRounds: 0, finalOutputTokens: 50 } },
      { name: "medium", features: { remainingToolRounds: 2, outputTokensPerCall: 100 } },
    ]);
    expect(order).toEqual(["light", "medium", "heavy"]);
  });

  it("augserve-oracle - ranks by the truth, not the prediction", () => {
    const candidates: Candidate[] = [
      {
        name: "predicted-light-truly-heavy",
        features: {
          remainingToolRounds: 0,
          truth: { remainingToolRounds: 8, outputTokensPerCall: 300, finalOutputTokens: 300 },
        },
      },
      {
        name: "predicted-heavy-truly-light",
        features: {
          remainingToolRounds: 8,
          outputTokensPerCall: 300,
          truth: { remainingToolRounds: 0, outputTokensPerCall: 50, finalOutputTokens: 50 },
        },
      },
    ];
    expect(admissionOrder({ policy: "augserve-oracle" }, candidates)).toEqual([
      "predicted-heavy-truly-light",
      "predicted-light-truly-heavy",
    ]);
    expect(admissionOrder({ policy: "augserve" }, candidates)).toEqual([
      "predicted-light-truly-heavy",
      "predicted-heavy-truly-light",
    ]);
  });

  it("augserve - a run past its TTFT deadline is ranked behind every run that can still meet its SLO", () => {
    const order = admissionOrder({ policy: "augserve", slo: { ttftMs: 1000, normLatencyMsPerToken: 1000 } }, [
      { name: "hopeless-light", features: { finalOutputTokens: 10 } },
      { name: "fresh-heavy", features: { remainingToolRounds: 5, outputTokensPerCall: 300 }, delayMs: 1500 },
    ]);
    expect(order).toEqual(["fresh-heavy", "hopeless-light"]);
  });

  it("augserve - a call right after a short tool phase (prefix still cached) goes first among equals", () => {
    const order = admissionOrder({ policy: "augserve", augserve: { slackWeight: 0, waitWeight: 0 } }, [
      { name: "cold", features: { promptTokens: 3000 } },
      { name: "just-unparked", features: { promptTokens: 3000 }, parkMs: 200 },
    ]);
    expect(order).toEqual(["just-unparked", "cold"]);
  });

  it("augserve - under server pressure shorter work is favoured more over waiting time", () => {
    const options: SchedulerOptions = {
      policy: "augserve",
      slo: { ttftMs: 60_000, normLatencyMsPerToken: 1000 },
      augserve: { slackWeight: 0, attainedWeight: 0, waitWeight: 1 },
    };
    // Cost gap 1350 ms (90 tokens x 15 ms); the long call waited 2000 ms more: aging wins unless pressure doubles costs.
    const candidates: Candidate[] = [
      { name: "old-long", features: { finalOutputTokens: 100 } },
      { name: "new-short", features: { finalOutputTokens: 10 }, delayMs: 2000 },
    ];
    expect(admissionOrder(options, candidates)).toEqual(["old-long", "new-short"]);
    expect(admissionOrder(options, candidates, true)).toEqual(["new-short", "old-long"]);
  });

  it("every policy - admitted calls carry an integer priority >= 0, lower for shorter work", () => {
    for (const policy of ["fcfs", "sjf", "las", "augserve", "augserve-oracle"] as const) {
      const { scheduler } = virtualScheduler({ policy });
      const priorities: number[] = [];
      for (const out of [10, 1000]) {
        scheduler.beginRun({ features: features({ finalOutputTokens: out }) }).submit(
          { promptTokens: 10 },
          {
            onAdmit: (t) => priorities.push(t.priority),
          },
        );
      }
      expect(priorities.every((p) => Number.isInteger(p) && p >= 0)).toBe(true);
      if (policy === "sjf" || policy.startsWith("augserve"))
        expect(priorities[0]).toBeLessThan(priorities[1] as number);
    }
  });
});
