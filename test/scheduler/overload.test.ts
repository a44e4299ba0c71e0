/**
 * Overload control: `overload: "shed"` refuses a new run that could not start within its TTFT target, at
 * once, with a typed error; the run ends, later calls of it are refused too, and everything is counted.
 */
import { describe, expect, it } from "vitest";
import {
  AugServeOverloadedError,
  type CallTicket,
  type RunHandle,
  type SchedulerEvents,
  type SchedulerOptions,
} from "../../src/scheduler/index.js";
import { features, virtualScheduler } from "./helpers.js";

/**
 * A shedding scheduler whose budget (1,000 tokens) is held by calls that take 2 s each, first token after 50 ms
 * (so the drain estimate is ~0.5 tokens/ms and the limit ~95 ms), with `backlog` later calls of started runs
 * queued behind them.
 */
function saturated(backlog: number, options: SchedulerOptions = {}) {
  const { scheduler, clock } = virtualScheduler({
    overload: "shed",
    slo: { ttftMs: 1_000, normLatencyMsPerToken: 1_000 },
    budget: { mode: "fixed", tokens: 1_000 },
    ...options,
  });
  const held: CallTicket[] = [];
  const runs: RunHandle[] = [];
  // Teach the drain estimate: first calls of 500 tokens, each held 2 s.
  for (let i = 0; i < backlog + 2; i++) {
    const run = scheduler.beginRun({ features: features({ remainingToolRounds: 2 }) });
    runs.push(run);
    let ticket: CallTicket | undefined;
    run.submit({ promptTokens: 400 }, { onAdmit: (t) => (ticket = t) });
    clock.advance(50);
    ticket?.onFirstToken();
    clock.advance(1_950);
    ticket?.complete({ outputTokens: 100 });
  }
  // Fill the budget, then queue committed calls (later calls of those runs) behind it.
  for (const run of runs) run.submit({ promptTokens: 400 }, { onAdmit: (t) => held.push(t) });
  return { scheduler, clock, held };
}

describe("overload: shed", () => {
  it("refuses a new run at once with AugServeOverloadedError: call() rejects, nothing is queued", async () => {
    const { scheduler } = saturated(20);
    const queuedBefore = scheduler.snapshot().queued;
    const run = scheduler.beginRun({ runId: "late", features: features() });
    const error = await run.call({ promptTokens: 400 }, async () => "never").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AugServeOverloadedError);
    const e = error as AugServeOverloadedError;
    expect(e.name).toBe("AugServeOverloadedError");
    expect(e.runId).toBe("late");
    expect(e.predictedWaitMs).toBeGreaterThan(e.limitMs);
    expect(e.limitMs).toBeGreaterThanOrEqual(0);
    expect(e.limitMs).toBeLessThan(1_000);
    expect(e.retryAfterMs).toBeGreaterThanOrEqual(1);
    expect(Number.isFinite(e.retryAfterMs)).toBe(true);
    expect(e.message).toMatch(/would wait about \d+ ms/);
    expect(scheduler.snapshot().queued).toBe(queuedBefore);
  });

  it("submit()'s onReject gets the error synchronously; the run ends as refused; later calls are refused too", () => {
    const { scheduler } = saturated(20);
    const rejected: SchedulerEvents["rejected"][] = [];
    const ended: SchedulerEvents["runEnded"][] = [];
    scheduler.on("rejected", (e) => rejected.push(e));
    scheduler.on("runEnded", (e) => ended.push(e));
    const active = scheduler.snapshot().activeRuns;
    const run = scheduler.beginRun({ runId: "late", features: features() });
    const errors: Error[] = [];
    run.submit({ promptTokens: 400 }, { onAdmit: () => {}, onReject: (e) => errors.push(e) });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(AugServeOverloadedError);
    expect(ended).toEqual([{ runId: "late", outcome: "refused" }]);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ runId: "late", reason: "overloaded" });
    expect(rejected[0]?.predictedWaitMs).toBe((errors[0] as AugServeOverloadedError).predictedWaitMs);
    expect(rejected[0]?.retryAfterMs).toBe((errors[0] as AugServeOverloadedError).retryAfterMs);
    // The run was ended by the scheduler: end() is a no-op, a later call gets the same refusal.
    run.end("error");
    run.submit({ promptTokens: 400 }, { onAdmit: () => {}, onReject: (e) => errors.push(e) });
    expect(errors[1]).toBe(errors[0]);
    const s = scheduler.snapshot();
    expect(s.counters.refused).toBe(1);
    expect(s.counters.rejected).toBe(2);
    expect(s.activeRuns).toBe(active);
    expect(ended).toHaveLength(1);
  });

  it("admits a new run while the queue ahead of it drains within its TTFT target", () => {
    // Budget full, nothing queued: 200 tokens must drain at ~0.5 tokens/ms, ~400 ms; a 10-s target leaves
    // (10,000 - 50) x 0.1 = 995 ms for queueing.
    const { scheduler } = saturated(0, { slo: { ttftMs: 10_000, normLatencyMsPerToken: 1_000 } });
    const run = scheduler.beginRun({ features: features() });
    const errors: Error[] = [];
    run.submit({ promptTokens: 100 }, { onAdmit: () => {}, onReject: (e) => errors.push(e) });
    expect(errors).toEqual([]);
    expect(scheduler.snapshot()).toMatchObject({ queued: 1, counters: { refused: 0 } });
  });

  it("never sheds a run that would start at once, nor a later call of an admitted run", () => {
    const { scheduler } = virtualScheduler({ overload: "shed", budget: { mode: "fixed", tokens: 10_000 } });
    const run = scheduler.beginRun({ features: features({ remainingToolRounds: 3 }) });
    const admitted: CallTicket[] = [];
    for (let i = 0; i < 3; i++) run.submit({ promptTokens: 100 }, { onAdmit: (t) => admitted.push(t) });
    expect(admitted).toHaveLength(3);
    expect(scheduler.snapshot().counters.refused).toBe(0);
  });

  it("background runs are shed before interactive ones: they rank behind all interactive work", () => {
    // Limit (6,050 - 50) x 0.1 = 600 ms. The interactive run waits for 200 tokens (~400 ms); the background
    // one behind it for 400 (~800 ms).
    const { scheduler } = saturated(0, { slo: { ttftMs: 6_050, normLatencyMsPerToken: 1_000 } });
    const interactive: Error[] = [];
    const background: Error[] = [];
    scheduler
      .beginRun({ features: features() })
      .submit({ promptTokens: 100 }, { onAdmit: () => {}, onReject: (e) => interactive.push(e) });
    scheduler
      .beginRun({ features: features(), priorityClass: "background" })
      .submit({ promptTokens: 100 }, { onAdmit: () => {}, onReject: (e) => background.push(e) });
    expect(interactive).toEqual([]);
    expect(background[0]).toBeInstanceOf(AugServeOverloadedError);
  });

  it("overload: queue (the default) never refuses", () => {
    const { scheduler } = saturated(20, { overload: "queue" });
    const errors: Error[] = [];
    scheduler
      .beginRun({ features: features() })
      .submit({ promptTokens: 400 }, { onAdmit: () => {}, onReject: (e) => errors.push(e) });
    expect(errors).toEqual([]);
    expect(scheduler.snapshot().counters.refused).toBe(0);
  });
});
