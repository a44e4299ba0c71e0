/**
 * The scheduler's side of the fleet: `BudgetController.onDemand` (what the queue wants, with a clock-independent
 * urgency) and a budget of 0 admitting nothing. Pure: a controller of the test's own and a virtual clock.
 */
import { describe, expect, it } from "vitest";
import type { BudgetController, BudgetDemand } from "../../src/scheduler/index.js";
import { createScheduler } from "../../src/scheduler/index.js";

class ManualBudget implements BudgetController {
  tokens = 0;
  readonly minTokens = 0;
  readonly maxTokens = 1_000_000;
  readonly nextDecisionAt = Number.POSITIVE_INFINITY;
  readonly reports: BudgetDemand[] = [];
  onSample() {
    return null;
  }
  onDemand(d: Readonly<BudgetDemand>) {
    this.reports.push({ ...d });
  }
}

const features = {
  promptTokens: 1_000,
  remainingToolRounds: 0,
  outputTokensPerCall: 50,
  finalOutputTokens: 100,
};

function setup(policy: "augserve" | "fcfs" = "augserve", offset = 0) {
  let now = offset;
  const budget = new ManualBudget();
  const scheduler = createScheduler({ policy }, { clock: { now: () => now }, budget });
  return { scheduler, budget, advance: (ms: number) => (now += ms) };
}

describe("BudgetController.onDemand()", () => {
  it("a budget of 0 admits nothing, not even a call alone; the head's need is reported", () => {
    const { scheduler, budget } = setup();
    const admitted: number[] = [];
    const run = scheduler.beginRun({ features });
    run.submit({ promptTokens: 1_000 }, { onAdmit: (t) => admitted.push(t.callId) });
    expect(admitted).toEqual([]);
    const last = budget.reports.at(-1) as BudgetDemand;
    expect(last).toMatchObject({
      queuedCalls: 1,
      inFlightCalls: 0,
      inFlightTokens: 0,
      headCharge: 1_100,
      // rank = 1 + tier; an interactive call that can meet its SLO is tier 1 (Viable; tiers.ts)
      headRank: 2,
    });
    budget.tokens = 1_100;
    scheduler.tick();
    expect(admitted).toHaveLength(1);
    expect(budget.reports.at(-1)).toMatchObject({ queuedCalls: 0, inFlightTokens: 1_100, headCharge: 0 });
  });

  it("reports only when the demand changed (token reports change nothing of it)", () => {
    const { scheduler, budget } = setup();
    budget.tokens = 10_000;
    const run = scheduler.beginRun({ features });
    run.submit(
      { promptTokens: 1_000 },
      {
        onAdmit: (t) => {
          const before = budget.reports.length;
          for (let i = 0; i < 20; i++) t.onTokens(1);
          expect(budget.reports.length - before).toBeLessThanOrEqual(1);
        },
      },
    );
  });

  it("scores are clock-independent: two schedulers whose clocks differ by a day rank the same call alike", () => {
    const a = setup("augserve", 0);
    const b = setup("augserve", 86_400_000);
    for (const s of [a, b]) {
      s.scheduler.beginRun({ features }).submit({ promptTokens: 1_000 }, { onAdmit: () => {} });
      s.advance(250);
      s.scheduler.tick();
    }
    const scoreA = (a.budget.reports.at(-1) as BudgetDemand).headScore;
    const scoreB = (b.budget.reports.at(-1) as BudgetDemand).headScore;
    expect(Math.abs(scoreA - scoreB)).toBeLessThan(1e-3 * Math.max(1, Math.abs(scoreA)));
  });

  it("fcfs: the longer a head has waited, the more urgent (lower) its score", () => {
    const { scheduler, budget, advance } = setup("fcfs");
    scheduler.beginRun({ features }).submit({ promptTokens: 1_000 }, { onAdmit: () => {} });
    const first = (budget.reports.at(-1) as BudgetDemand).headScore;
    advance(1_000);
    scheduler.beginRun({ features }).submit({ promptTokens: 1_000 }, { onAdmit: () => {} });
    expect((budget.reports.at(-1) as BudgetDemand).headScore).toBeLessThan(first);
  });
});
