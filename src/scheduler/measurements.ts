/**
 * What the scheduler learns from a call's stream: the cost model's rates, the overload predictor's server
 * TTFT and drain, the budget controller's samples, and the service a run attained. One place per stream
 * event, so the scheduler's transitions stay about state. The hot path allocates nothing: the budget
 * samples and their context are reused (the `BudgetController` contract says so).
 */
import type { BudgetContext, BudgetController, BudgetSample } from "./budget.js";
import type { CallRecord } from "./call-record.js";
import type { CostModel } from "./cost-model.js";
import type { SchedulerEmitter } from "./events.js";
import type { InFlightLedger } from "./in-flight.js";
import type { OverloadGauge } from "./overload.js";

export class Measurements {
  readonly #cost: CostModel;
  readonly #gauge: OverloadGauge;
  readonly #budget: BudgetController;
  readonly #events: SchedulerEmitter;
  readonly #ledger: InFlightLedger;
  readonly #queued: () => number;
  readonly #context: BudgetContext = { inFlightTokens: 0, queuedCalls: 0, inFlightCalls: 0 };
  readonly #ttft = { kind: "ttft" as const, at: 0, ms: 0 };
  readonly #tokens = { kind: "tokenLatency" as const, at: 0, msPerToken: 0, tokens: 0 };
  readonly #tick = { kind: "tick" as const, at: 0 };

  constructor(
    cost: CostModel,
    gauge: OverloadGauge,
    budget: BudgetController,
    events: SchedulerEmitter,
    ledger: InFlightLedger,
    queued: () => number,
  ) {
    this.#cost = cost;
    this.#gauge = gauge;
    this.#budget = budget;
    this.#events = events;
    this.#ledger = ledger;
    this.#queued = queued;
  }

  /** Feeds the budget controller (with the current demand) and announces a change. */
  sample(sample: BudgetSample): void {
    const context = this.#context;
    context.inFlightTokens = this.#ledger.tokens;
    context.inFlightCalls = this.#ledger.calls;
    context.queuedCalls = this.#queued();
    const change = this.#budget.onSample(sample, context);
    if (change) this.#events.emit("budgetChanged", change);
  }

  /** Lets the controller decide on the time that passed, when a decision is due. */
  tick(now: number): void {
    if (now < this.#budget.nextDecisionAt) return;
    this.#tick.at = now;
    this.sample(this.#tick);
  }

  /** `call`'s first token came at `now`. */
  firstToken(call: CallRecord, now: number): void {
    const ms = now - call.admittedAt;
    this.#cost.observeTtft(ms, call.uncachedPromptTokens);
    this.#gauge.onFirstToken(ms);
    this.#ttft.at = now;
    this.#ttft.ms = ms;
    this.sample(this.#ttft);
  }

  /** `count` more tokens of `call` came at `now` (after its first report). */
  tokens(call: CallRecord, now: number, count: number): void {
    if (call.outputTokens > 0) {
      const gap = now - call.lastTokenAt;
      this.#cost.observeDecode(gap, count);
      this.#tokens.at = now;
      this.#tokens.msPerToken = gap / count;
      this.#tokens.tokens = count;
      this.sample(this.#tokens);
    }
    this.addOutput(call, count);
  }

  /** Output tokens the call and its run produced (attained service for LAS and Stage II). */
  addOutput(call: CallRecord, count: number): void {
    call.outputTokens += count;
    const run = call.run;
    run.outputTokens += count;
    run.attainedTokens += count;
    run.attainedMs += this.#cost.callMs(0, count);
  }

  /** `call` released its charge at `now`; a failure is pressure for the budget. */
  released(call: CallRecord, now: number, outcome: "ok" | "error" | "aborted"): void {
    this.#gauge.onRelease(call.charge, now - call.admittedAt);
    if (outcome === "error") this.sample({ kind: "error", at: now });
  }
}
