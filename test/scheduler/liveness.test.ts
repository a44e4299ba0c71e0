/**
 * Liveness without collapse: under an overload that lasts far longer than `maxWaitMs`, starving calls keep
 * progressing through the liveness lane, which never takes more than its share of the budget from the calls
 * that can still meet their SLO, and every call finishes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CallTicket, PolicyName, RunHandle } from "../../src/scheduler/index.js";
import { features, virtualScheduler } from "./helpers.js";

const STEP_MS = 10;

interface Scenario {
  policy: PolicyName;
  maxWaitMs: number;
  promotedShare: number;
  budget: number;
  tenants: number;
  /** Calls arriving per step (demand is about twice what the budget serves). */
  arrivalsPerStep: number;
  seed: number;
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  policy: fc.constantFrom<PolicyName>("fcfs", "sjf", "las", "augserve", "augserve-oracle"),
  maxWaitMs: fc.integer({ min: 100, max: 400 }),
  promotedShare: fc.constantFrom(0.05, 0.1, 0.3),
  budget: fc.integer({ min: 1_500, max: 3_000 }),
  tenants: fc.integer({ min: 1, max: 3 }),
  arrivalsPerStep: fc.constantFrom(1, 2),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
});

/** A deterministic stream of numbers in [0, 1). */
function random(seed: number): () => number {
  let s = seed | 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4_294_967_296;
  };
}

function overload(sc: Scenario) {
  const { scheduler, clock } = virtualScheduler({
    policy: sc.policy,
    maxWaitMs: sc.maxWaitMs,
    promotedShare: sc.promotedShare,
    budget: { mode: "fixed", tokens: sc.budget },
    slo: { ttftMs: 200, normLatencyMsPerToken: 5 },
  });
  const rand = random(sc.seed);
  const violations: string[] = [];
  const running: Array<{ ticket: CallTicket; doneAt: number; run: RunHandle; left: number }> = [];
  const laneCharges = new Map<number, number>();
  let laneTokens = 0;
  let laneAdmissions = 0;
  let submitted = 0;
  let completed = 0;
  let promotedSeen = 0;
  /** Last time the lane was seen empty or admitted a call. */
  let laneProgressAt = 0;
  const maxServiceMs = 200;

  scheduler.on("admitted", (e) => {
    const s = scheduler.snapshot();
    const laneWaiting = s.promotedQueued ?? 0;
    if (e.promoted) {
      const rankedWaiting = s.queued - laneWaiting > 0;
      if (rankedWaiting && laneCharges.size > 0 && laneTokens + e.tokens > sc.promotedShare * sc.budget)
        violations.push(`lane beyond its share at call ${e.callId}`);
      laneCharges.set(e.callId, e.tokens);
      laneTokens += e.tokens;
      laneAdmissions += 1;
      promotedSeen += 1;
      laneProgressAt = clock.t;
    } else if (laneWaiting > 0 && laneCharges.size === 0) {
      violations.push(`ranked call ${e.callId} admitted while the lane waited with nothing in flight`);
    }
  });
  scheduler.on("completed", (e) => {
    laneTokens -= laneCharges.get(e.callId) ?? 0;
    laneCharges.delete(e.callId);
  });

  const submit = (run: RunHandle, left: number) => {
    submitted += 1;
    run.submit(
      { promptTokens: 100 + Math.floor(rand() * 400) },
      {
        onAdmit: (ticket) =>
          running.push({
            ticket,
            doneAt: clock.t + 20 + Math.floor(rand() * (maxServiceMs - 20)),
            run,
            left,
          }),
      },
    );
  };
  const begin = () => {
    const run = scheduler.beginRun({
      features: features({ remainingToolRounds: Math.floor(rand() * 3), outputTokensPerCall: 50 }),
      tenant: `t${Math.floor(rand() * sc.tenants)}`,
      ...(rand() < 0.2 ? { priorityClass: "background" as const } : {}),
    });
    submit(run, Math.floor(rand() * 3));
  };
  const step = (arrivals: boolean) => {
    clock.advance(STEP_MS);
    if (arrivals) for (let i = 0; i < sc.arrivalsPerStep; i++) begin();
    for (let i = running.length - 1; i >= 0; i--) {
      const call = running[i];
      if (!call || call.doneAt > clock.t) continue;
      running.splice(i, 1);
      call.ticket.onFirstToken();
      call.ticket.onTokens(50);
      call.ticket.complete({ outputTokens: 50 });
      completed += 1;
      if (call.left > 0) submit(call.run, call.left - 1);
      else call.run.end("ok");
    }
    scheduler.tick();
    const lane = scheduler.snapshot().promotedQueued ?? 0;
    if (lane === 0) laneProgressAt = clock.t;
    // The lane progresses: while it has calls waiting, one of its calls starts at least every service time.
    else if (clock.t - laneProgressAt > 2 * maxServiceMs + STEP_MS)
      violations.push(`the lane waited ${clock.t - laneProgressAt} ms without an admission`);
  };

  // Sustained overload: 30 starvation bounds of arrivals at about twice what the budget serves.
  const overloadMs = 30 * sc.maxWaitMs;
  while (clock.t < overloadMs) step(true);
  const promotedDuringOverload = promotedSeen;
  // Then no arrivals: everything queued must drain.
  for (let guard = 0; guard < 100_000 && (running.length > 0 || scheduler.snapshot().queued > 0); guard++)
    step(false);
  return {
    violations,
    submitted,
    completed,
    promotedDuringOverload,
    laneAdmissions,
    snapshot: scheduler.snapshot(),
  };
}

describe("Scheduler liveness under sustained overload", () => {
  it("every starving call finishes; the lane always progresses within its share; nothing is left", () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const result = overload(sc);
        expect(result.violations.slice(0, 3)).toEqual([]);
        // Starving calls existed and were served while the overload lasted, not only after it.
        expect(result.promotedDuringOverload).toBeGreaterThan(0);
        expect(result.completed).toBe(result.submitted);
        expect(result.snapshot).toMatchObject({ queued: 0, inFlightCalls: 0, inFlightTokens: 0 });
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 12) },
    );
  });
});
