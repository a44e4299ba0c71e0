/**
 * The fleet's budget decisions, made once for the fleet: the process that holds the controller role (a Redis
 * key with a TTL, taken by whoever syncs first while it is free, renewed by `take`) runs the scheduler's own
 * adaptive law (`AdaptiveBudget`, docs/scheduler.md) on the samples of every process, summed in Redis, and
 * writes the decision with a fenced script (a former controller that was paused cannot overwrite it).
 *
 * Per decision interval the controller takes the fleet's sums (TTFT sum and count, per-token ms and tokens,
 * errors, the latest server signals) and feeds them to its `AdaptiveBudget` as one sample of each kind, then a
 * tick: the law sees the interval's fleet-wide means, the fleet's tokens in flight and queued calls, exactly
 * as one scheduler that saw all the traffic would. A new controller starts its law from the fleet's current
 * budget. If the controller dies, the role is free again within the TTL and the next sync takes it.
 */
import { AdaptiveBudget, type BudgetChange } from "../scheduler/budget.js";
import type { AdaptiveBudgetOptions } from "../scheduler/options.js";
import type { Clock, Slo } from "../scheduler/types.js";
import type { FleetRedis, TakeReply } from "./redis.js";

export class FleetController {
  readonly #options: AdaptiveBudgetOptions;
  readonly #slo: Slo;
  readonly #clock: Clock;
  #law: AdaptiveBudget | null = null;
  /** Scheduler-clock time of the last decision; samples are stamped just after it (see `decide`). */
  #lastAt = 0;
  #lastServerAt = Number.NEGATIVE_INFINITY;

  constructor(options: AdaptiveBudgetOptions, slo: Slo, clock: Clock) {
    this.#options = options;
    this.#slo = slo;
    this.#clock = clock;
  }

  get active(): boolean {
    return this.#law !== null;
  }

  /** Gives up the role's state (another process took it, or this one left). */
  resign(): void {
    this.#law = null;
  }

  /**
   * One decision: takes the fleet's samples and applies the law; returns the change written to Redis, or null.
   * Returns null and resigns when this process no longer holds the role.
   */
  async decide(redis: FleetRedis, pid: string, ttlMs: number): Promise<BudgetChange | null> {
    const taken = await redis.take(pid, ttlMs);
    if (taken === null) {
      this.resign();
      return null;
    }
    const now = this.#clock.now();
    const law = this.#law ?? this.#start(taken.budget, now);
    const change = this.#fold(law, taken, now);
    if (change === null) return null;
    const applied = await redis.setBudget(pid, change.to);
    if (!applied) {
      this.resign();
      return null;
    }
    return change;
  }

  #start(budget: number, now: number): AdaptiveBudget {
    const o = this.#options;
    const initialTokens = Math.min(o.maxTokens, Math.max(o.minTokens, Math.round(budget)));
    const { mode: _mode, ...rest } = o;
    const law = new AdaptiveBudget({ ...rest, initialTokens }, this.#slo);
    this.#law = law;
    this.#lastAt = now - o.intervalMs;
    // A first decision on no samples and no demand (a hold), so that the law's interval starts here.
    law.onSample({ kind: "tick", at: this.#lastAt }, { inFlightTokens: 0, queuedCalls: 0 });
    return law;
  }

  #fold(law: AdaptiveBudget, t: TakeReply, now: number): BudgetChange | null {
    // The samples are stamped just after the previous decision, so that the law folds them all into this
    // interval and decides only at the tick (a sample at `now` would trigger the decision before the others
    // are folded in).
    const at = Math.min(now, this.#lastAt + 1e-3);
    const context = { inFlightTokens: t.inFlightTokens, queuedCalls: t.queuedCalls };
    if (t.ttftCount > 0) law.onSample({ kind: "ttft", at, ms: t.ttftSum / t.ttftCount }, context);
    if (t.tokens > 0)
      law.onSample(
        { kind: "tokenLatency", at, msPerToken: t.tokenMsSum / t.tokens, tokens: t.tokens },
        context,
      );
    for (let i = 0; i < Math.min(t.errors, 1_000); i++) law.onSample({ kind: "error", at }, context);
    if (t.server !== null && t.server.at > this.#lastServerAt) {
      this.#lastServerAt = t.server.at;
      const s = t.server;
      law.onSample(
        {
          kind: "server",
          at,
          signals: {
            waiting: s.waiting,
            running: s.running,
            kvCacheUsage: s.kvCacheUsage,
            ...(s.preemptionsTotal >= 0 ? { preemptionsTotal: s.preemptionsTotal } : {}),
          },
        },
        context,
      );
    }
    this.#lastAt = now;
    // The fleet's budget may have moved under the law (another controller before this one): follow it.
    const before = law.tokens;
    const change = law.onSample({ kind: "tick", at: now }, context);
    if (change === null && Math.round(t.budget) !== before) {
      return this.#restartAt(t.budget, now);
    }
    return change;
  }

  #restartAt(budget: number, now: number): null {
    this.#start(budget, now);
    return null;
  }
}
