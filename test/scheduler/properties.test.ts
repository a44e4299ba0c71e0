/**
 * Properties of the scheduler under random interleavings, on a virtual clock: arrivals, completions,
 * errors, aborts, time-outs (AbortSignals aborted when the virtual clock passes their deadline), parks,
 * run ends, estimate updates and server signals.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type CallContext,
  type CallTicket,
  type PolicyName,
  type QueuedCall,
  type RunHandle,
  SchedulerInvariantError,
  type SchedulerOptions,
} from "../../src/scheduler/index.js";
import { features, flush, virtualScheduler } from "./helpers.js";

const policies: PolicyName[] = ["fcfs", "sjf", "las", "augserve", "augserve-oracle"];

const optionsArb: fc.Arbitrary<SchedulerOptions> = fc.record({
  policy: fc.constantFrom(...policies),
  maxWaitMs: fc.integer({ min: 0, max: 5000 }),
  maxQueueLength: fc.integer({ min: 1, max: 40 }),
  budget: fc.oneof(
    fc.record({ mode: fc.constant("fixed" as const), tokens: fc.integer({ min: 300, max: 5000 }) }),
    fc.record({
      mode: fc.constant("adaptive" as const),
      minTokens: fc.constant(500),
      initialTokens: fc.constant(2000),
      maxTokens: fc.constant(8000),
      increaseTokens: fc.integer({ min: 1, max: 2000 }),
      intervalMs: fc.integer({ min: 0, max: 1000 }),
      cooldownMs: fc.integer({ min: 0, max: 2000 }),
    }),
  ),
});

const commandArb = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("begin" as const),
      rounds: fc.nat(5),
      out: fc.integer({ min: 1, max: 600 }),
      truthRounds: fc.nat(5),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("call" as const),
      run: fc.nat(),
      prompt: fc.nat(4000),
      cachedFraction: fc.double({ min: 0, max: 1, noNaN: true }),
      expected: fc.option(fc.nat(3000), { nil: undefined }),
      timeoutMs: fc.option(fc.integer({ min: 1, max: 5000 }), { nil: undefined }),
      syncThrow: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("complete" as const), pick: fc.nat(), tokens: fc.nat(500) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("error" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("abort" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.nat(3000) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("park" as const), run: fc.nat(), unpark: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("end" as const), run: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("estimate" as const), run: fc.nat(), rounds: fc.nat(8) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("observe" as const),
      waiting: fc.nat(3),
      kv: fc.double({ min: 0, max: 1, noNaN: true }),
      preemptions: fc.nat(3),
    }),
  },
);

interface Outstanding {
  controller: AbortController;
  deadline: number;
  settled: number;
  error: unknown;
  ctx: CallContext | null;
  resolve: (value: string) => void;
  reject: (error: Error) => void;
}

describe("Scheduler properties (virtual clock, random interleavings)", () => {
  it("budget respected, each admitted call released exactly once, every call settles, budget within bounds", async () => {
    await fc.assert(
      fc.asyncProperty(
        optionsArb,
        fc.array(commandArb, { minLength: 20, maxLength: 80, size: "max" }),
        async (options, commands) => {
          const { scheduler, clock } = virtualScheduler(options);
          const budget = options.budget as { mode: string; tokens?: number };
          const [low, high] =
            budget.mode === "fixed" ? [budget.tokens ?? 0, budget.tokens ?? 0] : [500, 8000];
          const admitted = new Set<number>();
          const released = new Map<number, number>();
          const violations: string[] = [];
          scheduler.on("admitted", (e) => {
            const s = scheduler.snapshot();
            if (s.inFlightTokens > s.budgetTokens && s.inFlightCalls !== 1)
              violations.push(`over budget at ${e.callId}`);
            if (admitted.has(e.callId)) violations.push(`admitted twice ${e.callId}`);
            admitted.add(e.callId);
          });
          scheduler.on("completed", (e) => released.set(e.callId, (released.get(e.callId) ?? 0) + 1));
          scheduler.on("budgetChanged", (e) => {
            if (e.to < low || e.to > high) violations.push(`budget ${e.to} out of [${low}, ${high}]`);
          });
          const runs: RunHandle[] = [1, 3, 5].map((rounds) =>
            scheduler.beginRun({ features: features({ remainingToolRounds: rounds }) }),
          );
          const calls: Outstanding[] = [];
          let preemptions = 0;
          const running = () => calls.filter((c) => c.ctx !== null && c.settled === 0);
          const pending = () => calls.filter((c) => c.settled === 0);

          for (const command of commands) {
            switch (command.kind) {
              case "begin":
                runs.push(
                  scheduler.beginRun({
                    features: features({
                      remainingToolRounds: command.rounds,
                      outputTokensPerCall: command.out,
                      truth: {
                        remainingToolRounds: command.truthRounds,
                        outputTokensPerCall: command.out,
                        finalOutputTokens: command.out,
                      },
                    }),
                  }),
                );
                break;
              case "call": {
                const run = runs[command.run % Math.max(1, runs.length)];
                if (!run) break;
                const controller = new AbortController();
                const call: Outstanding = {
                  controller,
                  deadline:
                    command.timeoutMs === undefined ? Number.POSITIVE_INFINITY : clock.t + command.timeoutMs,
                  settled: 0,
                  error: undefined,
                  ctx: null,
                  resolve: () => {},
                  reject: () => {},
                };
                calls.push(call);
                const spec = {
                  promptTokens: command.prompt,
                  cachedPromptTokens: Math.floor(command.prompt * command.cachedFraction),
                  ...(command.expected === undefined ? {} : { expectedOutputTokens: command.expected }),
                };
                run
                  .call(
                    spec,
                    (ctx) => {
                      call.ctx = ctx;
                      if (command.syncThrow) throw new Error("sync throw");
                      return new Promise<string>((resolve, reject) => {
                        call.resolve = resolve;
                        call.reject = reject;
                      });
                    },
                    { signal: controller.signal },
                  )
                  .then(
                    () => {
                      call.settled += 1;
                    },
                    (error: unknown) => {
                      call.settled += 1;
                      call.error = error;
                    },
                  );
                break;
              }
              case "complete": {
                const list = running();
                const call = list[command.pick % Math.max(1, list.length)];
                if (!call?.ctx) break;
                call.ctx.onFirstToken();
                clock.advance(command.tokens % 7);
                call.ctx.onTokens(command.tokens);
                call.resolve("ok");
                break;
              }
              case "error": {
                const list = running();
                list[command.pick % Math.max(1, list.length)]?.reject(new Error("server error"));
                break;
              }
              case "abort": {
                const list = pending();
                list[command.pick % Math.max(1, list.length)]?.controller.abort(new Error("aborted by test"));
                break;
              }
              case "advance":
                clock.advance(command.ms);
                for (const call of pending()) {
                  if (call.deadline <= clock.t)
                    call.controller.abort(new DOMException("timed out", "TimeoutError"));
                }
                scheduler.tick();
                break;
              case "park": {
                const run = runs[command.run % Math.max(1, runs.length)];
                if (command.unpark) run?.unpark();
                else run?.park();
                break;
              }
              case "end":
                runs[command.run % Math.max(1, runs.length)]?.end("ok");
                break;
              case "estimate":
                runs[command.run % Math.max(1, runs.length)]?.updateEstimate({
                  remainingToolRounds: command.rounds,
                });
                break;
              case "observe":
                preemptions += command.preemptions;
                scheduler.observe({
                  waiting: command.waiting,
                  kvCacheUsage: command.kv,
                  preemptionsTotal: preemptions,
                });
                break;
            }
            await flush();
            const s = scheduler.snapshot();
            if (s.budgetTokens < low || s.budgetTokens > high)
              violations.push(`budget ${s.budgetTokens} out of bounds`);
            if (s.inFlightTokens < 0 || s.inFlightCalls < 0) violations.push("negative in-flight");
          }

          // Drain: finish whatever runs; every queued call must then be admitted (or have been rejected).
          for (let round = 0; round <= calls.length + 2 && pending().length > 0; round++) {
            for (const call of running()) call.resolve("drained");
            clock.advance(10_000);
            scheduler.tick();
            await flush();
          }
          expect(violations).toEqual([]);
          expect(pending()).toEqual([]);
          expect(calls.every((c) => c.settled === 1)).toBe(true);
          expect(calls.some((c) => c.error instanceof SchedulerInvariantError)).toBe(false);
          for (const id of admitted) expect(released.get(id)).toBe(1);
          expect(released.size).toBe(admitted.size);
          const s = scheduler.snapshot();
          expect(s).toMatchObject({ queued: 0, inFlightCalls: 0, inFlightTokens: 0 });
          expect(s.counters.completed + s.counters.failed + s.counters.aborted).toBe(s.counters.admitted);
        },
      ),
      { numRuns: 60 },
    );
  });
});

/**
 * A synchronous driver over `submit()`: every admission is known at once, so order can be checked exactly.
 *
 * Each call's enqueue time is known to the driver before `submit` returns (issue 14, defect 9): a call that
 * `submit` admits at once is checked against the starved calls it overtakes like any other.
 */
function driveSync(
  options: SchedulerOptions,
  commands: { arrive: boolean; size: number; waitMs: number; cancel: number }[],
) {
  const { scheduler, clock } = virtualScheduler(options);
  const queuedAt = new Map<number, number>();
  /** Enqueue time of the call whose `submit` is running (its id is not known until `submit` returns). */
  let submittingAt: number | undefined;
  const handles: QueuedCall[] = [];
  const tickets: CallTicket[] = [];
  const log: number[] = [];
  const violations: string[] = [];
  const maxWaitMs = options.maxWaitMs ?? 300_000;
  const share = options.promotedShare ?? 0.1;
  const budget = (options.budget as { tokens: number }).tokens;
  const laneCharges = new Map<number, number>();
  let laneTokens = 0;
  scheduler.on("admitted", (e) => {
    const now = clock.t;
    const at = queuedAt.get(e.callId) ?? submittingAt;
    if (at === undefined) {
      violations.push(`call ${e.callId} admitted but never submitted`);
      return;
    }
    if (e.promoted !== now - at > maxWaitMs) violations.push(`promoted flag wrong for ${e.callId}`);
    // The oldest other queued call, and whether a call that has not starved waits too.
    let oldest = Number.POSITIVE_INFINITY;
    let rankedWaiting = false;
    for (const [id, queued] of queuedAt) {
      if (id === e.callId) continue;
      oldest = Math.min(oldest, queued);
      if (now - queued <= maxWaitMs) rankedWaiting = true;
    }
    if (now - oldest > maxWaitMs && at > oldest) {
      // An older call has starved and this one goes first: only a ranked call may, and only while the lane
      // has a call in flight (the lane always progresses).
      if (e.promoted) violations.push(`lane not oldest first at ${e.callId}`);
      else if (laneCharges.size === 0)
        violations.push(
          `call ${e.callId} admitted while an older call starved and the lane had none in flight`,
        );
    }
    if (e.promoted) {
      // Beyond its first call in flight, the lane stays within its share while ranked calls wait.
      if (rankedWaiting && laneCharges.size > 0 && laneTokens + e.tokens > share * budget)
        violations.push(`lane over its share at ${e.callId}`);
      laneCharges.set(e.callId, e.tokens);
      laneTokens += e.tokens;
    }
    queuedAt.delete(e.callId);
    log.push(e.callId);
  });
  scheduler.on("completed", (e) => {
    laneTokens -= laneCharges.get(e.callId) ?? 0;
    laneCharges.delete(e.callId);
  });
  const run = () =>
    scheduler.beginRun({
      features: features({
        remainingToolRounds: log.length % 4,
        outputTokensPerCall: 50 + (log.length % 7) * 40,
      }),
    });
  for (const c of commands) {
    clock.advance(c.waitMs);
    if (c.arrive) {
      let handle: QueuedCall | undefined;
      let rejectedAtSubmit = false;
      submittingAt = clock.t;
      handle = run().submit(
        { promptTokens: c.size },
        {
          onAdmit: (t) => tickets.push(t),
          onReject: () => {
            if (handle) queuedAt.delete(handle.callId);
            else rejectedAtSubmit = true;
          },
        },
      );
      submittingAt = undefined;
      handles.push(handle);
      if (!rejectedAtSubmit && !log.includes(handle.callId)) queuedAt.set(handle.callId, clock.t);
    } else if (c.cancel % 3 === 0) {
      handles[c.cancel % Math.max(1, handles.length)]?.cancel();
    } else {
      tickets.shift()?.complete({ outputTokens: c.size % 300 });
    }
  }
  while (tickets.length > 0) tickets.shift()?.complete();
  return { log, violations, snapshot: scheduler.snapshot() };
}

const syncCommands = fc.array(
  fc.record({ arrive: fc.boolean(), size: fc.nat(1500), waitMs: fc.nat(400), cancel: fc.nat() }),
  { maxLength: 120, size: "max" },
);

describe("Scheduler starvation bound and determinism", () => {
  it("a call that waited longer than maxWaitMs is promoted: the lane always progresses, within its share, oldest first", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...policies),
        fc.integer({ min: 0, max: 2000 }),
        fc.constantFrom(0.05, 0.1, 0.5, 1),
        syncCommands,
        (policy, maxWaitMs, promotedShare, commands) => {
          const { violations, snapshot } = driveSync(
            { policy, maxWaitMs, promotedShare, budget: { mode: "fixed", tokens: 1500 } },
            commands,
          );
          expect(violations).toEqual([]);
          expect(snapshot.queued).toBe(0);
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 150) },
    );
  });

  it("regression: a cancel() after the clock moved promotes starved calls before it admits (shrunk counterexample)", () => {
    // fast-check counterexample (sjf, maxWaitMs 1). The last command moves the clock to 4 and cancels a queued
    // call; the freed budget admitted a call queued at 3 ahead of one queued at 2 (waited 2 > 1): cancel()
    // admitted without first applying what time made due, so the starved call was never promoted.
    const commands: { arrive: boolean; size: number; waitMs: number; cancel: number }[] = [
      { arrive: true, size: 0, waitMs: 0, cancel: 0 },
      { arrive: true, size: 0, waitMs: 0, cancel: 0 },
      { arrive: true, size: 0, waitMs: 0, cancel: 0 },
      { arrive: false, size: 0, waitMs: 0, cancel: 119021617 },
      { arrive: false, size: 0, waitMs: 0, cancel: 1522165312 },
      { arrive: true, size: 0, waitMs: 0, cancel: 0 },
      { arrive: true, size: 0, waitMs: 0, cancel: 0 },
      { arrive: true, size: 0, waitMs: 0, cancel: 0 },
      { arrive: true, size: 0, waitMs: 0, cancel: 0 },
      { arrive: false, size: 0, waitMs: 0, cancel: 167045323 },
      { arrive: true, size: 0, waitMs: 0, cancel: 0 },
      { arrive: true, size: 0, waitMs: 0, cancel: 0 },
      { arrive: false, size: 0, waitMs: 0, cancel: 783965029 },
      { arrive: false, size: 0, waitMs: 0, cancel: 991960 },
      { arrive: false, size: 0, waitMs: 0, cancel: 35283667 },
      { arrive: false, size: 0, waitMs: 0, cancel: 1530530512 },
      { arrive: false, size: 0, waitMs: 0, cancel: 55842955 },
      { arrive: false, size: 0, waitMs: 0, cancel: 640231 },
      { arrive: true, size: 0, waitMs: 0, cancel: 0 },
      { arrive: true, size: 0, waitMs: 0, cancel: 0 },
      { arrive: true, size: 0, waitMs: 0, cancel: 0 },
      { arrive: true, size: 0, waitMs: 0, cancel: 0 },
      { arrive: true, size: 0, waitMs: 0, cancel: 0 },
      { arrive: false, size: 0, waitMs: 0, cancel: 267649903 },
      { arrive: true, size: 0, waitMs: 0, cancel: 0 },
      { arrive: false, size: 0, waitMs: 0, cancel: 36664 },
      { arrive: false, size: 0, waitMs: 0, cancel: 229830328 },
      { arrive: true, size: 0, waitMs: 0, cancel: 0 },
      { arrive: false, size: 0, waitMs: 0, cancel: 19810 },
      { arrive: true, size: 0, waitMs: 0, cancel: 0 },
      { arrive: true, size: 0, waitMs: 0, cancel: 0 },
      { arrive: false, size: 0, waitMs: 0, cancel: 785013946 },
      { arrive: true, size: 0, waitMs: 0, cancel: 0 },
      { arrive: false, size: 0, waitMs: 0, cancel: 39438598 },
      { arrive: true, size: 771, waitMs: 0, cancel: 0 },
      { arrive: true, size: 204, waitMs: 0, cancel: 0 },
      { arrive: false, size: 0, waitMs: 0, cancel: 1856911 },
      { arrive: true, size: 797, waitMs: 0, cancel: 0 },
      { arrive: false, size: 0, waitMs: 0, cancel: 135356500 },
      { arrive: true, size: 0, waitMs: 0, cancel: 0 },
      { arrive: false, size: 0, waitMs: 2, cancel: 16471 },
      { arrive: true, size: 0, waitMs: 0, cancel: 0 },
      { arrive: false, size: 0, waitMs: 0, cancel: 66622903 },
      { arrive: false, size: 0, waitMs: 0, cancel: 50719627 },
      { arrive: true, size: 0, waitMs: 1, cancel: 0 },
      { arrive: false, size: 0, waitMs: 1, cancel: 2042077971 },
    ];
    const { violations, snapshot } = driveSync(
      { policy: "sjf", maxWaitMs: 1, budget: { mode: "fixed", tokens: 1500 } },
      commands,
    );
    expect(violations).toEqual([]);
    expect(snapshot.queued).toBe(0);
  });

  it("the same inputs and clock give the same admission order", () => {
    fc.assert(
      fc.property(optionsArb, syncCommands, (options, commands) => {
        const a = driveSync(options, commands);
        const b = driveSync(options, commands);
        expect(a.log).toEqual(b.log);
        expect(a.snapshot).toEqual(b.snapshot);
      }),
      { numRuns: 80 },
    );
  });
});
