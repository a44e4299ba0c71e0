import { describe, expect, expectTypeOf, it } from "vitest";
import {
  CallCancelledError,
  type CallTicket,
  createPolicy,
  createScheduler,
  type QueuedCall,
  QueueFullError,
  type RunHandle,
  type SchedulerApi,
  type SchedulerOptions,
  SchedulerOptionsError,
  UnknownPolicyError,
} from "../../src/scheduler/index.js";
import { features, flush, virtualScheduler } from "./helpers.js";

const fixed = (tokens: number): SchedulerOptions => ({ budget: { mode: "fixed", tokens } });

/** A run whose first call holds the whole budget until released. */
function blocked(options: SchedulerOptions = fixed(1000)) {
  const { scheduler, clock } = virtualScheduler(options);
  let blocker: CallTicket | undefined;
  scheduler.beginRun({ features: features() }).submit(
    { promptTokens: 5000 },
    {
      onAdmit: (t) => {
        blocker = t;
      },
    },
  );
  return { scheduler, clock, release: () => blocker?.complete() };
}

/**
 * sjf, maxWaitMs 10, budget 1000 with 500 in flight (call 1). At t=0 `head` (call 2: shortest output, large
 * prompt, so first in line and does not fit) and `old` (call 3) queue; at t=5 `young` (call 4: shorter than
 * `old`, ranked ahead of it). The clock then moves to 15, where only `old` has waited longer than the bound
 * (and `head`): removing `head` must admit `old` first, promoted, then `young`.
 */
function starvedBehindHead(queueHead: (run: RunHandle) => void) {
  const { scheduler, clock } = virtualScheduler({ policy: "sjf", maxWaitMs: 10, ...fixed(1000) });
  const names = ["", "blocker", "head", "old", "young"];
  const admitted: string[] = [];
  scheduler.on("admitted", (e) =>
    admitted.push(`${names[e.callId]} waited ${e.waitedMs} promoted ${e.promoted}`),
  );
  const submit = (promptTokens: number, expectedOutputTokens: number) =>
    scheduler
      .beginRun({ features: features() })
      .submit({ promptTokens, expectedOutputTokens }, { onAdmit: () => {}, onReject: () => {} });
  submit(500, 0);
  queueHead(scheduler.beginRun({ features: features() }));
  submit(0, 300);
  clock.advance(5);
  submit(0, 100);
  clock.advance(10);
  expect(admitted).toEqual(["blocker waited 0 promoted false"]);
  return { scheduler, admitted };
}

const promotedFirst = [
  "blocker waited 0 promoted false",
  "old waited 15 promoted true",
  "young waited 10 promoted false",
];

describe("Initialization", () => {
  it("createScheduler() - defaults: augserve policy, adaptive budget", () => {
    const snapshot = createScheduler().snapshot();
    expect(snapshot.policy).toBe("augserve");
    expect(snapshot.budgetTokens).toBe(32_768);
    expect(snapshot.queued).toBe(0);
  });

  it("public types - Scheduler implements SchedulerApi; call() keeps fn's type", () => {
    expectTypeOf(createScheduler()).toExtend<SchedulerApi>();
    expectTypeOf<ReturnType<RunHandle["call"]>>().toEqualTypeOf<Promise<unknown>>();
    const run = createScheduler().beginRun({ features: features() });
    expectTypeOf(run.call({ promptTokens: 1 }, async () => 42)).toEqualTypeOf<Promise<number>>();
  });
});

describe("Validation", () => {
  it("createScheduler() - invalid options throw SchedulerOptionsError naming the field, ZodError as cause", () => {
    const cases: [SchedulerOptions, string][] = [
      [{ maxQueueLength: 0 }, "maxQueueLength"],
      [{ maxWaitMs: -5 }, "maxWaitMs"],
      [{ policy: "random" as never }, "policy"],
      [{ budget: { mode: "adaptive", minTokens: 100, maxTokens: 50 } }, "budget.initialTokens"],
      [{ budget: { mode: "fixed", tokens: 1.5 } }, "budget.tokens"],
      [{ augserve: { waitWeight: -1 } }, "augserve.waitWeight"],
    ];
    for (const [options, field] of cases) {
      let error: unknown;
      try {
        createScheduler(options);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SchedulerOptionsError);
      expect((error as SchedulerOptionsError).field).toBe(field);
      expect((error as Error).message).toContain(`\`${field}\``);
      expect((error as Error).cause).toBeDefined();
    }
  });

  it("createPolicy() - throws UnknownPolicyError on an unknown name", () => {
    expect(() => createPolicy("lifo")).toThrow(UnknownPolicyError);
    expect(createPolicy("las").name).toBe("las");
  });

  it("beginRun() - an invalid SLO is rejected naming the field", () => {
    expect(() =>
      createScheduler().beginRun({ features: features(), slo: { ttftMs: -1, normLatencyMsPerToken: 1 } }),
    ).toThrow(/`ttftMs`/);
  });
});

describe("RunHandle.call()", () => {
  it("resolves with fn's value and releases the budget", async () => {
    const { scheduler } = virtualScheduler(fixed(1000));
    const run = scheduler.beginRun({ features: features() });
    const value = await run.call({ promptTokens: 100 }, async (ctx) => {
      expect(scheduler.snapshot().inFlightTokens).toBe(200);
      ctx.onFirstToken();
      ctx.onTokens(50);
      return "done";
    });
    expect(value).toBe("done");
    expect(scheduler.snapshot()).toMatchObject({
      inFlightTokens: 0,
      inFlightCalls: 0,
      counters: { completed: 1 },
    });
  });

  it("releases when fn rejects and when fn throws synchronously", async () => {
    const { scheduler } = virtualScheduler(fixed(1000));
    const run = scheduler.beginRun({ features: features() });
    await expect(run.call({ promptTokens: 1 }, () => Promise.reject(new Error("boom")))).rejects.toThrow(
      "boom",
    );
    await expect(
      run.call({ promptTokens: 1 }, () => {
        throw new Error("sync");
      }),
    ).rejects.toThrow("sync");
    expect(scheduler.snapshot()).toMatchObject({ inFlightTokens: 0, counters: { failed: 2 } });
  });

  it("abort while queued - removed from the queue, rejects with the signal's reason", async () => {
    const { scheduler, release } = blocked();
    const controller = new AbortController();
    const run = scheduler.beginRun({ features: features() });
    const pending = run.call({ promptTokens: 1 }, async () => "never", { signal: controller.signal });
    expect(scheduler.snapshot().queued).toBe(1);
    controller.abort(new Error("user cancelled"));
    await expect(pending).rejects.toThrow("user cancelled");
    expect(scheduler.snapshot()).toMatchObject({ queued: 0, counters: { rejected: 1 } });
    release();
    expect(scheduler.snapshot().inFlightTokens).toBe(0);
  });

  it("abort while queued - applies due promotions before admitting: a starved call goes before a younger one", async () => {
    const controller = new AbortController();
    let pending: Promise<unknown> = Promise.resolve();
    const { scheduler, admitted } = starvedBehindHead((run) => {
      pending = run.call({ promptTokens: 900, expectedOutputTokens: 1 }, async () => "never", {
        signal: controller.signal,
      });
    });
    controller.abort(new Error("user cancelled"));
    await expect(pending).rejects.toThrow("user cancelled");
    expect(admitted).toEqual(promotedFirst);
    expect(scheduler.snapshot()).toMatchObject({ queued: 0, counters: { promoted: 2, rejected: 1 } });
  });

  it("abort while running - released at once, rejects with the reason, fn's late result ignored", async () => {
    const { scheduler } = virtualScheduler(fixed(1000));
    const run = scheduler.beginRun({ features: features() });
    const controller = new AbortController();
    let finish: (v: string) => void = () => {};
    const pending = run.call(
      { promptTokens: 1 },
      () =>
        new Promise<string>((r) => {
          finish = r;
        }),
      { signal: controller.signal },
    );
    expect(scheduler.snapshot().inFlightCalls).toBe(1);
    controller.abort(new Error("stop"));
    await expect(pending).rejects.toThrow("stop");
    expect(scheduler.snapshot()).toMatchObject({
      inFlightCalls: 0,
      inFlightTokens: 0,
      counters: { aborted: 1 },
    });
    finish("late");
    await flush();
    expect(scheduler.snapshot().counters).toMatchObject({ aborted: 1, completed: 0 });
  });

  it("time-out through AbortSignal.timeout() - rejects with TimeoutError, releases, counts as failed", async () => {
    // Issue 14, defect 3: a running call that times out is a failure for the budget controller (a stalled
    // server is pressure), not a caller's abort.
    const { scheduler } = virtualScheduler(fixed(1000));
    const outcomes: string[] = [];
    scheduler.on("completed", (e) => outcomes.push(e.outcome));
    const run = scheduler.beginRun({ features: features() });
    const pending = run.call({ promptTokens: 1 }, () => new Promise<never>(() => {}), {
      signal: AbortSignal.timeout(5),
    });
    await expect(pending).rejects.toMatchObject({ name: "TimeoutError" });
    expect(scheduler.snapshot()).toMatchObject({ inFlightTokens: 0, counters: { failed: 1, aborted: 0 } });
    expect(outcomes).toEqual(["error"]);
  });

  it("time-out while running - the adaptive budget is cut as for any other failure", async () => {
    const { scheduler, clock } = virtualScheduler({ budget: { initialTokens: 32_768, cooldownMs: 0 } });
    const before = scheduler.snapshot().budgetTokens;
    for (let i = 0; i < 4; i++) {
      clock.advance(1_000);
      const controller = new AbortController();
      const run = scheduler.beginRun({ features: features() });
      const pending = run.call({ promptTokens: 1 }, () => new Promise<never>(() => {}), {
        signal: controller.signal,
      });
      controller.abort(new DOMException("stalled", "TimeoutError"));
      await expect(pending).rejects.toMatchObject({ name: "TimeoutError" });
      run.end("error");
    }
    clock.advance(1_000);
    scheduler.tick();
    expect(scheduler.snapshot().budgetTokens).toBeLessThan(before);
  });

  it("an already-aborted signal rejects without queueing", async () => {
    const { scheduler } = virtualScheduler();
    const run = scheduler.beginRun({ features: features() });
    await expect(
      run.call({ promptTokens: 1 }, async () => 1, { signal: AbortSignal.abort(new Error("x")) }),
    ).rejects.toThrow("x");
    expect(scheduler.snapshot().counters.admitted).toBe(0);
  });

  it("rejects at once with QueueFullError naming the limit", async () => {
    const { scheduler } = blocked({ ...fixed(1000), maxQueueLength: 2 });
    const run = scheduler.beginRun({ features: features() });
    void run.call({ promptTokens: 1 }, async () => 1).catch(() => {});
    void run.call({ promptTokens: 1 }, async () => 1).catch(() => {});
    const error = await run.call({ promptTokens: 1 }, async () => 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueFullError);
    expect((error as QueueFullError).limit).toBe(2);
    expect(scheduler.snapshot().queued).toBe(2);
  });
});

describe("RunHandle.submit()", () => {
  it("a call larger than the whole budget runs alone when nothing else is in flight", () => {
    const { scheduler } = virtualScheduler(fixed(1000));
    const admitted: number[] = [];
    const tickets: CallTicket[] = [];
    const run = scheduler.beginRun({ features: features() });
    const onAdmit = (t: CallTicket) => {
      admitted.push(t.callId);
      tickets.push(t);
    };
    run.submit({ promptTokens: 5000 }, { onAdmit });
    run.submit({ promptTokens: 10 }, { onAdmit });
    expect(admitted).toEqual([1]);
    expect(scheduler.snapshot().inFlightTokens).toBe(5100);
    tickets[0]?.complete();
    expect(admitted).toEqual([1, 2]);
  });

  it("complete()/fail() release exactly once", () => {
    const { scheduler } = virtualScheduler(fixed(1000));
    let ticket: CallTicket | undefined;
    scheduler.beginRun({ features: features() }).submit(
      { promptTokens: 10 },
      {
        onAdmit: (t) => {
          ticket = t;
        },
      },
    );
    ticket?.complete();
    ticket?.complete();
    ticket?.fail("error");
    expect(scheduler.snapshot()).toMatchObject({ inFlightTokens: 0, counters: { completed: 1, failed: 0 } });
  });

  it("cancel() - removes a queued call and calls onReject with CallCancelledError", () => {
    const { scheduler } = blocked();
    const errors: Error[] = [];
    const queued = scheduler.beginRun({ features: features() }).submit(
      { promptTokens: 1 },
      {
        onAdmit: () => {},
        onReject: (e) => errors.push(e),
      },
    );
    queued.cancel();
    queued.cancel();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(CallCancelledError);
    expect(scheduler.snapshot().queued).toBe(0);
  });

  it("cancel() - applies due promotions before admitting: a starved call goes before a younger one", () => {
    let head: QueuedCall | undefined;
    const { scheduler, admitted } = starvedBehindHead((run) => {
      head = run.submit({ promptTokens: 900, expectedOutputTokens: 1 }, { onAdmit: () => {} });
    });
    head?.cancel();
    expect(admitted).toEqual(promotedFirst);
    expect(scheduler.snapshot()).toMatchObject({ queued: 0, counters: { promoted: 2, rejected: 1 } });
  });

  it("expected output defaults to the run's estimate: intermediate calls, then the final answer", () => {
    const { scheduler } = virtualScheduler(fixed(100_000));
    const charges: number[] = [];
    scheduler.on("admitted", (e) => charges.push(e.tokens));
    const run = scheduler.beginRun({
      features: features({ remainingToolRounds: 1, outputTokensPerCall: 30, finalOutputTokens: 70 }),
    });
    for (let i = 0; i < 2; i++)
      run.submit({ promptTokens: 100, cachedPromptTokens: 40 }, { onAdmit: (t) => t.complete() });
    expect(charges).toEqual([60 + 30, 60 + 70]);
  });
});

describe("RunHandle lifecycle", () => {
  it("end() - cancels the run's queued calls; later submits are rejected; idempotent", () => {
    const { scheduler } = blocked();
    const reasons: string[] = [];
    scheduler.on("rejected", (e) => reasons.push(e.reason));
    const run = scheduler.beginRun({ features: features() });
    const errors: Error[] = [];
    run.submit({ promptTokens: 1 }, { onAdmit: () => {}, onReject: (e) => errors.push(e) });
    run.end("aborted");
    run.end("aborted");
    run.submit({ promptTokens: 1 }, { onAdmit: () => {}, onReject: (e) => errors.push(e) });
    expect(errors.map((e) => (e as CallCancelledError).reason)).toEqual(["run-ended", "run-ended"]);
    expect(reasons).toEqual(["run-ended", "run-ended"]);
    expect(scheduler.snapshot()).toMatchObject({ queued: 0, activeRuns: 1 });
  });

  it("park()/unpark() - counted in the snapshot, idempotent", () => {
    const { scheduler, clock } = virtualScheduler();
    const run = scheduler.beginRun({ features: features() });
    run.park({ tools: ["search"], expectedLatencyMs: 300 });
    run.park();
    expect(scheduler.snapshot().parkedRuns).toBe(1);
    clock.advance(300);
    run.unpark();
    run.unpark();
    expect(scheduler.snapshot().parkedRuns).toBe(0);
  });

  it("updateEstimate() - re-ranks the run's queued call", () => {
    const { scheduler, release } = blocked({ ...fixed(1000), policy: "augserve" });
    const order: string[] = [];
    const a = scheduler.beginRun({ runId: "a", features: features({ remainingToolRounds: 0 }) });
    const b = scheduler.beginRun({ runId: "b", features: features({ remainingToolRounds: 0 }) });
    a.submit(
      { promptTokens: 10, expectedOutputTokens: 10 },
      {
        onAdmit: (t) => {
          order.push("a");
          t.complete();
        },
      },
    );
    b.submit(
      { promptTokens: 10, expectedOutputTokens: 10 },
      {
        onAdmit: (t) => {
          order.push("b");
          t.complete();
        },
      },
    );
    a.updateEstimate({ remainingToolRounds: 10, outputTokensPerCall: 500 });
    release();
    expect(order).toEqual(["b", "a"]);
  });
});

describe("Scheduler events", () => {
  it("on() - admitted, completed, runEnded, budgetChanged; the returned function unsubscribes", () => {
    const { scheduler, clock } = virtualScheduler({ budget: { mode: "adaptive", intervalMs: 0 } });
    const seen: string[] = [];
    const off = scheduler.on("admitted", (e) => seen.push(`admitted:${e.callId}:${e.promoted}`));
    scheduler.on("completed", (e) => seen.push(`completed:${e.outcome}:${e.outputTokens}:${e.ttftMs}`));
    scheduler.on("runEnded", (e) => seen.push(`ended:${e.outcome}`));
    scheduler.on("budgetChanged", (e) => seen.push(`budget:${e.reason}`));
    const run = scheduler.beginRun({ runId: "r", features: features() });
    run.submit(
      { promptTokens: 10 },
      {
        onAdmit: (t) => {
          clock.advance(20);
          t.onFirstToken();
          t.onTokens(1);
          t.complete({ outputTokens: 12 });
        },
      },
    );
    off();
    run.submit({ promptTokens: 10 }, { onAdmit: (t) => t.complete() });
    run.end("ok");
    scheduler.observe({ waiting: 4, kvCacheUsage: 0.5 });
    expect(seen).toEqual([
      "admitted:1:false",
      "completed:ok:12:20",
      "completed:ok:0:null",
      "ended:ok",
      "budget:server-queue",
    ]);
  });
});

describe("Scheduler cost model", () => {
  it("learns prefill and decode rates from onFirstToken/onTokens timing", () => {
    const { scheduler, clock } = virtualScheduler({ costModel: { learningRate: 1 } });
    const run = scheduler.beginRun({ features: features() });
    run.submit(
      { promptTokens: 1000 },
      {
        onAdmit: (t) => {
          clock.advance(200); // 1000 uncached tokens in 200 ms -> 0.2 ms/token
          t.onFirstToken();
          t.onTokens(1);
          clock.advance(300); // 10 tokens 300 ms later -> 30 ms/token
          t.onTokens(10);
          t.complete();
        },
      },
    );
    expect(scheduler.snapshot().costModel).toEqual({ prefillMsPerToken: 0.2, decodeMsPerToken: 30 });
  });
});
