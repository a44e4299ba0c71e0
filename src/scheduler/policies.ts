/**
 * Ordering policies. A policy is a scoring function, not a fork of the scheduler: it writes a queued call's
 * `tier` (the run's class offset + a stage; see tiers.ts), `key` (lower is
 * served first) and `transitionAt` (when its key next changes by itself), and maps a call to a server
 * priority. Ties in (tier, key) always fall back to arrival order (callId), so every policy is deterministic
 * and FCFS among equals.
 *
 * Keys are time-invariant: a term that grows with waiting time, `-w * (now - enqueuedAt)`, orders calls
 * exactly like `w * enqueuedAt` (`now` is common to all), and least-laxity ordering on `hopelessAt - now`
 * is ordering on `hopelessAt`. What does change with time (a run becoming hopeless, a cached prefix
 * expiring) is a known instant, `transitionAt`, handled by the queue's deadline heap.
 */
import type { CallRecord } from "./call-record.js";
import type { CostModel } from "./cost-model.js";
import { UnknownPolicyError } from "./errors.js";
import type { AugServeWeights } from "./options.js";
import { type EstimateView, nextCallOutputTokens, type RunState, remainingRounds } from "./run-state.js";
import { Stage } from "./tiers.js";
import type { PolicyName } from "./types.js";

/** Everything a policy reads besides the call and its run. */
export interface ScoreContext {
  now: number;
  cost: CostModel;
  weights: AugServeWeights;
  /** Server pressure level in [0, 1] (0, 0.5 or 1; see `Scheduler.observe`). */
  pressure: number;
  /** Overload shedding is on: the augserve policies keep their admitted runs' deadlines (see below). */
  shed: boolean;
}

export interface Policy {
  readonly name: PolicyName;
  /** Sets `call.tier`, `call.key` and `call.transitionAt` for the state at `ctx.now`. */
  score(call: CallRecord, ctx: ScoreContext): void;
  /** Server priority of an admitted, non-promoted call: an integer >= 1 (lower = more urgent). */
  priority(call: CallRecord, ctx: ScoreContext): number;
  /** The estimate this policy believes (the truth for the oracle). */
  view(run: RunState): EstimateView;
  /** Whether keys read the learned rates or the pressure level (then epochs re-score the queue). */
  readonly usesLiveState: boolean;
}

/** Priority levels per tier: a call of tier t gets `1 + t * PRIORITY_LEVELS + bucket`. */
export const PRIORITY_LEVELS = 256;

/** Log-scaled bucket of a non-negative magnitude: 4 levels per doubling, capped. */
function bucket(magnitude: number): number {
  return Math.min(PRIORITY_LEVELS - 1, Math.floor(4 * Math.log2(1 + Math.max(0, magnitude))));
}

const predictedView = (run: RunState): EstimateView => run.predicted;
const truthView = (run: RunState): EstimateView => run.truth ?? run.predicted;

/** Output tokens expected of `call`: the caller's figure, else the policy's estimate. */
export function expectedOutputTokens(call: CallRecord, view: EstimateView): number {
  return Number.isNaN(call.specOutputTokens) ? nextCallOutputTokens(call.run, view) : call.specOutputTokens;
}

/**
 * A policy that orders each class's calls by `key(call)` alone (ties FCFS): no deadline, so a key never changes
 * by itself. The server priority is the tier plus a log bucket of the same key.
 */
function staticPolicy(name: PolicyName, key: (call: CallRecord) => number): Policy {
  return {
    name,
    view: predictedView,
    usesLiveState: false,
    score(call) {
      call.tier = call.run.classTier + Stage.Viable;
      call.key = key(call);
      call.transitionAt = Number.POSITIVE_INFINITY;
    },
    priority: (call) => 1 + call.tier * PRIORITY_LEVELS + bucket(call.key),
  };
}

/**
 * FCFS: every key is 0; arrival order decides. Priority `1 + tier * PRIORITY_LEVELS` for all (bucket(0) is 0),
 * so the server then serves FCFS too.
 */
const fcfs = staticPolicy("fcfs", () => 0);

/** Shortest job first on the call's predicted output tokens; ties FCFS. */
const sjf = staticPolicy("sjf", (call) => expectedOutputTokens(call, call.run.predicted));

/**
 * Least attained service per run (Autellix's program-level LAS): the run that has been served the fewest
 * tokens (uncached prompt + output) goes first; ties FCFS. A new run has attained 0, so it goes before every
 * run already served.
 */
const las = staticPolicy("las", (call) => call.run.attainedTokens);

/**
 * Stage I: predicted remaining server time of the run, ms, if `call` is its next call:
 *   prefill * (uncached prompt now + R * growth) + decode * (output now + later outputs),
 * where R = tool rounds still to come after this call, growth = tokens each later call appends (its
 * predecessor's output, whose prefix stays cached) and later outputs = (R - 1) intermediate calls + final.
 */
export function remainingCostMs(call: CallRecord, view: EstimateView, cost: CostModel): number {
  const rounds = remainingRounds(call.run, view);
  const e = view.estimate;
  const outNow = expectedOutputTokens(call, view);
  const laterOut = rounds > 0 ? (rounds - 1) * e.outputTokensPerCall + e.finalOutputTokens : 0;
  const laterPrefill = rounds * e.outputTokensPerCall;
  return cost.callMs(call.uncachedPromptTokens + laterPrefill, outNow + laterOut);
}

/** Predicted output tokens of the rest of the run, this call included. */
function remainingOutputTokens(call: CallRecord, view: EstimateView): number {
  const rounds = remainingRounds(call.run, view);
  const e = view.estimate;
  return (
    expectedOutputTokens(call, view) +
    (rounds > 0 ? (rounds - 1) * e.outputTokensPerCall + e.finalOutputTokens : 0)
  );
}

/**
 * When the run stops being able to meet its SLO if this call starts no earlier, ms:
 * - before its first token: latest start that meets TTFT, arrival + ttftMs - prefill of this call;
 * - always: latest start that meets the normalised-latency budget,
 *   arrival + toolTime + normLatency * (output so far + predicted remaining output) - remaining cost.
 */
export function hopelessAt(
  call: CallRecord,
  view: EstimateView,
  cost: CostModel,
  remainingMs: number,
): number {
  const run = call.run;
  const totalOutput = run.outputTokens + remainingOutputTokens(call, view);
  let at = run.arrivalAt + run.toolTimeMs + run.slo.normLatencyMsPerToken * totalOutput - remainingMs;
  if (run.firstTokenAt === null) {
    at = Math.min(at, run.arrivalAt + run.slo.ttftMs - cost.callMs(call.uncachedPromptTokens, 0));
  }
  return at;
}

/**
 * AugServe (Stage I + Stage II). Lower key first:
 *   key = urgency * C * (1 + pressureWeight * pressure)      Stage I, shortest remaining cost first
 *       + waitWeight * enqueuedAt                             aging (= -waitWeight * waited)
 *       + slackWeight * hopelessAt                            least laxity first (SLO slack)
 *       + attainedWeight * attainedMs                         less attained service first
 *       - cacheBonusWeight * prefill(cached prefix)           just unparked, prefix still cached
 * A hopeless run (latched) is in the `Hopeless` stage, behind every call of its class that can still meet its
 * SLO; within it the slack term is dropped. `transitionAt` = the earlier of hopelessAt and the prefix-cache
 * expiry.
 *
 * Under overload shedding (`ctx.shed`) the calls that can still meet their SLO are ordered by deadline
 * (earliest `hopelessAt` first, EDF), later calls of admitted runs (`Committed`) before first calls: shedding
 * has already chosen which runs to serve, and EDF meets every deadline of a set that can be met. A new run's
 * predicted wait then counts what is committed ahead of it, which is what makes the prediction hold.
 */
function augserve(name: "augserve" | "augserve-oracle", view: (run: RunState) => EstimateView): Policy {
  return {
    name,
    view,
    usesLiveState: true,
    score(call, ctx) {
      const run = call.run;
      const w = ctx.weights;
      const v = view(run);
      const costMs = remainingCostMs(call, v, ctx.cost);
      const deadline = hopelessAt(call, v, ctx.cost, costMs);
      if (!run.hopeless && ctx.now >= deadline) run.hopeless = true;

      let transitionAt = run.hopeless ? Number.POSITIVE_INFINITY : deadline;
      let bonus = 0;
      const cacheExpiresAt = run.lastParkStartAt + w.prefixCacheLifetimeMs;
      if (run.parkedAt === null && ctx.now < cacheExpiresAt) {
        const cached = Math.max(call.cachedPromptTokens, Math.min(call.promptTokens, run.lastContextTokens));
        bonus = w.cacheBonusWeight * ctx.cost.callMs(cached, 0);
        transitionAt = Math.min(transitionAt, cacheExpiresAt);
      }

      if (ctx.shed && !run.hopeless) {
        call.tier = run.classTier + (run.callsStarted > 0 ? Stage.Committed : Stage.Viable);
        call.key = deadline;
        call.transitionAt = deadline;
        return;
      }
      call.tier = run.classTier + (run.hopeless ? Stage.Hopeless : Stage.Viable);
      call.key =
        run.urgency * costMs * (1 + w.pressureWeight * ctx.pressure) +
        w.waitWeight * call.enqueuedAt +
        (run.hopeless ? 0 : w.slackWeight * deadline) +
        w.attainedWeight * run.attainedMs -
        bonus;
      call.transitionAt = transitionAt;
    },
    priority(call, ctx) {
      const costMs = call.run.urgency * remainingCostMs(call, view(call.run), ctx.cost);
      return 1 + call.tier * PRIORITY_LEVELS + bucket(costMs);
    },
  };
}

const POLICIES: Record<PolicyName, Policy> = {
  fcfs,
  sjf,
  las,
  augserve: augserve("augserve", predictedView),
  "augserve-oracle": augserve("augserve-oracle", truthView),
};

/** The policy called `name`; throws {@link UnknownPolicyError} for any other string. */
export function createPolicy(name: string): Policy {
  const policy = Object.hasOwn(POLICIES, name) ? POLICIES[name as PolicyName] : undefined;
  if (!policy) throw new UnknownPolicyError(name, Object.keys(POLICIES));
  return policy;
}
