/**
 * Sharing the budget: tenants (token-weighted fair shares while several wait), priority classes (background
 * yields to interactive) and the request-count cap `maxInFlightCalls`.
 */
import { describe, expect, it } from "vitest";
import {
  type CallTicket,
  type PriorityClass,
  type SchedulerOptions,
  SchedulerOptionsError,
} from "../../src/scheduler/index.js";
import { features, virtualScheduler } from "./helpers.js";

/** A scheduler where every call is charged exactly its prompt tokens (expected output 0). */
function sharing(options: SchedulerOptions = {}) {
  const { scheduler, clock } = virtualScheduler({ budget: { mode: "fixed", tokens: 1_000 }, ...options });
  const inFlight: Array<{ who: string; ticket: CallTicket }> = [];
  const admitted: string[] = [];
  const submit = (
    who: string,
    tokens = 100,
    extra: { tenant?: string; priorityClass?: PriorityClass } = {},
  ) =>
    scheduler.beginRun({ features: features(), ...extra }).submit(
      { promptTokens: tokens, expectedOutputTokens: 0 },
      {
        onAdmit: (ticket) => {
          admitted.push(who);
          inFlight.push({ who, ticket });
        },
      },
    );
  const release = (who: string) => {
    const index = inFlight.findIndex((c) => c.who === who);
    const [call] = inFlight.splice(index, 1);
    call?.ticket.complete();
  };
  const tokensOf = (who: string) => inFlight.filter((c) => c.who === who).length * 100;
  return { scheduler, clock, submit, release, admitted, tokensOf };
}

describe("Scheduler tenants - token-weighted fair sharing", () => {
  it("a heavy tenant holds no more than its share (budget / tenants waiting) while another waits", () => {
    const s = sharing();
    for (let i = 0; i < 20; i++) s.submit("heavy", 100, { tenant: "heavy" });
    expect(s.tokensOf("heavy")).toBe(1_000);
    for (let i = 0; i < 8; i++) s.submit("light", 100, { tenant: "light" });
    // Each release of a heavy call frees 100 tokens; heavy is above 500, so light goes until heavy is back
    // under its share; then they alternate.
    for (let i = 0; i < 5; i++) s.release("heavy");
    expect(s.tokensOf("heavy")).toBe(500);
    expect(s.tokensOf("light")).toBe(500);
    expect(s.admitted.slice(-5)).toEqual(["light", "light", "light", "light", "light"]);
    s.release("heavy");
    s.release("light");
    expect(s.tokensOf("heavy") + s.tokensOf("light")).toBe(1_000);
    expect(Math.abs(s.tokensOf("heavy") - s.tokensOf("light"))).toBeLessThanOrEqual(200);
    expect(s.scheduler.snapshot().tenantsWaiting).toBe(2);
  });

  it("work-conserving: a tenant alone in the queue takes the whole budget, whoever holds the rest", () => {
    const s = sharing();
    for (let i = 0; i < 4; i++) s.submit("a", 100, { tenant: "a" });
    for (let i = 0; i < 10; i++) s.submit("b", 100, { tenant: "b" });
    expect(s.tokensOf("a")).toBe(400);
    expect(s.tokensOf("b")).toBe(600);
    // Only b waits: b takes every freed token even beyond half the budget.
    for (let i = 0; i < 4; i++) s.release("a");
    expect(s.tokensOf("b")).toBe(1_000);
  });

  it("three tenants waiting: each is held to a third of the budget", () => {
    const s = sharing({ budget: { mode: "fixed", tokens: 900 } });
    for (let i = 0; i < 12; i++) s.submit("a", 100, { tenant: "a" });
    for (const who of ["b", "c"]) for (let i = 0; i < 9; i++) s.submit(who, 100, { tenant: who });
    for (let i = 0; i < 6; i++) s.release("a");
    expect([s.tokensOf("a"), s.tokensOf("b"), s.tokensOf("c")]).toEqual([300, 300, 300]);
  });

  it("the share counts the tenants that wait: one with nothing queued does not hold a share back", () => {
    const s = sharing({ budget: { mode: "fixed", tokens: 900 } });
    for (let i = 0; i < 9; i++) s.submit("a", 100, { tenant: "a" });
    for (const who of ["b", "c"]) for (let i = 0; i < 9; i++) s.submit(who, 100, { tenant: who });
    // a waits for nothing: b and c share the budget two ways (450 each); b is first in rank order and
    // stops once it holds 450 or more (one call may cross it).
    for (let i = 0; i < 6; i++) s.release("a");
    expect([s.tokensOf("a"), s.tokensOf("b"), s.tokensOf("c")]).toEqual([300, 500, 100]);
    s.release("a");
    expect(s.admitted.at(-1)).toBe("c");
  });

  it("runs without a tenant share one anonymous key; idle tenants are forgotten", () => {
    const s = sharing();
    for (let i = 0; i < 12; i++) s.submit("anon");
    expect(s.scheduler.snapshot().tenantsWaiting).toBe(1);
    for (let i = 0; i < 12; i++) s.release("anon");
    expect(s.scheduler.snapshot()).toMatchObject({ tenantsWaiting: 0, queued: 0, inFlightTokens: 0 });
  });
});

describe("Scheduler priority classes", () => {
  it("background yields to interactive: admitted only while no interactive call waits", () => {
    const s = sharing();
    s.submit("blocker", 1_000);
    s.submit("bg-1", 100, { priorityClass: "background" });
    s.submit("bg-2", 100, { priorityClass: "background" });
    s.submit("int-1", 100);
    s.submit("int-2", 100, { priorityClass: "interactive" });
    s.release("blocker");
    expect(s.admitted).toEqual(["blocker", "int-1", "int-2", "bg-1", "bg-2"]);
  });

  it("background calls carry a lower server priority (a larger number) than interactive ones", () => {
    for (const policy of ["fcfs", "sjf", "las", "augserve"] as const) {
      const { scheduler } = virtualScheduler({ policy });
      const priorities: Record<string, number> = {};
      for (const priorityClass of ["interactive", "background"] as const)
        scheduler
          .beginRun({ features: features(), priorityClass })
          .submit({ promptTokens: 10 }, { onAdmit: (t) => (priorities[priorityClass] = t.priority) });
      expect(priorities.background, policy).toBeGreaterThan(priorities.interactive as number);
    }
  });
});

describe("Scheduler maxInFlightCalls", () => {
  it("caps calls in flight besides the token budget (p-queue's concurrency)", () => {
    const s = sharing({ maxInFlightCalls: 2, budget: { mode: "fixed", tokens: 100_000 } });
    for (let i = 0; i < 5; i++) s.submit(`c${i}`, 10);
    expect(s.admitted).toEqual(["c0", "c1"]);
    expect(s.scheduler.snapshot()).toMatchObject({ inFlightCalls: 2, queued: 3 });
    s.release("c0");
    expect(s.admitted).toEqual(["c0", "c1", "c2"]);
  });
});

describe("Validation - sharing options", () => {
  it("rejects bad options and run settings naming the field", () => {
    const cases: [SchedulerOptions, string][] = [
      [{ maxInFlightCalls: 0 }, "maxInFlightCalls"],
      [{ maxInFlightCalls: 1.5 }, "maxInFlightCalls"],
      [{ promotedShare: 0 }, "promotedShare"],
      [{ promotedShare: 1.5 }, "promotedShare"],
      [{ overload: "drop" as never }, "overload"],
    ];
    for (const [options, field] of cases) {
      expect(() => virtualScheduler(options), field).toThrow(SchedulerOptionsError);
      try {
        virtualScheduler(options);
      } catch (error) {
        expect((error as SchedulerOptionsError).field).toBe(field);
      }
    }
    const { scheduler } = virtualScheduler();
    expect(() => scheduler.beginRun({ features: features(), priorityClass: "urgent" as never })).toThrow(
      /`priorityClass`/,
    );
    expect(() => scheduler.beginRun({ features: features(), tenant: "x".repeat(257) })).toThrow(/`tenant`/);
  });
});
