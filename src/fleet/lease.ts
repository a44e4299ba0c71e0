/**
 * `SharedBudget`: one process's lease on a replica's global budget, behind the scheduler's `BudgetController`
 * interface. The scheduler stays pure and synchronous: it admits against `tokens` (the tokens this process
 * holds) and reports its demand through `onDemand`; this class does the Redis round trips in the background
 * and calls the scheduler's `tick()` when its lease grows, so the queue is admitted against it.
 *
 * When to sync (one `SYNC_LUA` round trip; at most one in flight, later requests folded into the next):
 * - blocked: calls queue and the head does not fit in the lease: at once, then with a backoff (retryMs,
 *   doubling to 16x) while nothing is granted, and at once on a `freed` or `budget` notice;
 * - more urgent work waits elsewhere (the last reply said so): every `rebalanceMs`, to yield (I3);
 * - a `wanted` notice while this process holds tokens beyond its need: to give them back;
 * - it holds more than one chunk beyond what it wants, or has been idle for `idleReturnMs`: to return them;
 * - renewal: at least every `renewIntervalMs` (the lease's TTL runs on Redis time);
 * - samples for the fleet's controller are pending: at least every budget decision interval.
 *
 * While a sync that may shrink the lease is in flight (it returns tokens, or more urgent work waits and it yields), the
 * local budget is capped at the tokens in flight it reported: the reply never grants less than that floor, so
 * what a process has in flight stays within what Redis granted it, and the fleet's tokens in flight within the
 * global budget (docs/shared.md, "Budget safety", lists the exceptions: a cut, a rejoin, the fallback).
 *
 * Faults: a failed or slow script (Redis unreachable, a key that is not ours) puts the process on its local
 * fallback share, `floor(last known budget / live processes)`, never unlimited; it keeps retrying, and the
 * first sync that succeeds rejoins (its tokens in flight are its floor). Each fallback and each recovery is
 * one log line and a metric.
 */
import type { BudgetChange, BudgetController, BudgetSample } from "../scheduler/budget.js";
import type { BudgetDemand } from "../scheduler/demand.js";
import type { ResolvedSchedulerOptions } from "../scheduler/options.js";
import type { Clock, Slo } from "../scheduler/types.js";
import { FleetController } from "./controller.js";
import { FleetKeyError } from "./errors.js";
import type { FleetMetrics } from "./metrics.js";
import type { ResolvedSharedOptions } from "./options.js";
import type { FleetRedis, SyncReply } from "./redis.js";
import { SampleSums } from "./samples.js";

export type FleetMode = "joining" | "joined" | "fallback" | "closed";

/** A copy of a member's state and counters. */
export interface FleetStats {
  mode: FleetMode;
  replica: string;
  processId: string;
  /** Tokens this process holds (its local budget while joined). */
  held: number;
  /** The replica's global budget, as last read. */
  budget: number;
  live: number;
  leader: boolean;
  syncs: number;
  syncErrors: number;
  fallbacks: number;
  recoveries: number;
  budgetDecisions: number;
  /** The last failure (connection error, FleetKeyError), or null. */
  lastError: Error | null;
}

export interface SharedBudgetDeps {
  redis: FleetRedis;
  /** The scheduler's clock (budget decisions are made on it, as the local law would). */
  clock: Clock;
  /** Wall ms per scheduler-clock ms, for the decision timer (time-scaled benches). @default 1 */
  wallPerClockMs?: number;
  metrics: FleetMetrics | null;
}

type ResolvedBudget = ResolvedSchedulerOptions["budget"];

export class SharedBudget implements BudgetController {
  readonly minTokens = 0;
  readonly maxTokens: number;
  readonly #o: ResolvedSharedOptions;
  readonly #pid: string;
  readonly #redis: FleetRedis;
  #metrics: FleetMetrics | null;
  readonly #initialBudget: number;
  readonly #controller: FleetController | null;
  readonly #decisionWallMs: number;
  readonly #samples = new SampleSums();
  readonly #demand: BudgetDemand = {
    at: 0,
    inFlightTokens: 0,
    inFlightCalls: 0,
    queuedCalls: 0,
    headCharge: 0,
    headRank: Number.POSITIVE_INFINITY,
    headScore: 0,
  };
  readonly #waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];
  #target: { tick(): void } | null = null;
  #mode: FleetMode = "joining";
  #held = 0;
  #budget: number;
  #live = 1;
  #leader = false;
  #moreUrgent = 0;
  /** Until then, other processes are known to wait for tokens (a reply or a `wanted` notice said so). */
  #othersWaitUntil = 0;
  #syncing = false;
  #dirty = false;
  /** While a sync meant to shrink the lease is in flight, the local budget is capped at the floor it sent. */
  #cap = Number.POSITIVE_INFINITY;
  #lastSyncAt = Number.NEGATIVE_INFINITY;
  #blockedRetryAt = 0;
  #backoff = 0;
  #idleSince = 0;
  #fallbackSince = 0;
  #timer: NodeJS.Timeout | null = null;
  #decisionTimer: NodeJS.Timeout | null = null;
  #joinTimer: NodeJS.Timeout | null = null;
  #deciding = false;
  #lastError: Error | null = null;
  #loggedError = "";
  readonly #counts = { syncs: 0, syncErrors: 0, fallbacks: 0, recoveries: 0, budgetDecisions: 0 };
  #unregister: (() => void) | null = null;

  constructor(options: ResolvedSharedOptions, budget: ResolvedBudget, slo: Slo, deps: SharedBudgetDeps) {
    this.#o = options;
    this.#pid = options.processId as string;
    this.#redis = deps.redis;
    this.#metrics = deps.metrics;
    if (budget.mode === "fixed") {
      this.#initialBudget = budget.tokens;
      this.maxTokens = budget.tokens;
      this.#controller = null;
    } else {
      this.#initialBudget = budget.initialTokens;
      this.maxTokens = budget.maxTokens;
      this.#controller = new FleetController(budget, slo, deps.clock);
    }
    const interval = budget.mode === "adaptive" ? budget.intervalMs : 500;
    this.#decisionWallMs = Math.max(10, interval * (deps.wallPerClockMs ?? 1));
    this.#budget = this.#initialBudget;
    this.#unregister = this.#metrics?.add(this) ?? null;
  }

  /** Moves this member's metrics to `metrics` (e.g. the gateway's own registry, created after the schedulers). */
  useMetrics(metrics: FleetMetrics | null): void {
    this.#unregister?.();
    this.#metrics = metrics;
    this.#unregister = metrics?.add(this) ?? null;
  }

  get replica(): string {
    return this.#o.replica;
  }

  /** The local budget: the lease while joined, the fallback share when Redis is out of reach, 0 while joining. */
  get tokens(): number {
    switch (this.#mode) {
      case "joining":
        return 0;
      case "joined": {
        const d = this.#demand;
        // The scheduler admits a call alone when nothing else is in flight; with a lease smaller than that call
        // (and than the whole budget) it would run on tokens this process does not hold.
        if (d.inFlightCalls === 0 && this.#held < Math.min(d.headCharge, this.#budget)) return 0;
        return Math.min(this.#held, this.#cap);
      }
      default:
        return this.#fallbackTokens();
    }
  }

  get nextDecisionAt(): number {
    return Number.POSITIVE_INFINITY;
  }

  get mode(): FleetMode {
    return this.#mode;
  }

  /** Connects the scheduler that admits against this budget (its `tick()` is called when the lease grows). */
  attach(target: { tick(): void }): void {
    this.#target = target;
  }

  /** Starts joining: subscribes to the notices and sends the first sync. */
  start(): this {
    void this.#redis.subscribe((kind, from) => {
      if (from !== this.#pid) this.#onNotice(kind);
    });
    this.#joinTimer = setTimeout(() => {
      this.#joinTimer = null;
      if (this.#mode === "joining") this.#fallBack(new Error(`no lease within ${this.#o.joinTimeoutMs} ms`));
    }, this.#o.joinTimeoutMs);
    this.#joinTimer.unref?.();
    // The first sync waits for the connection (a script sent before it would fail at once).
    void this.#redis.whenConnected(this.#o.joinTimeoutMs).then(() => this.#requestSync());
    return this;
  }

  /** Resolves once joined; rejects with the failure if the process falls back before it ever joined. */
  ready(): Promise<void> {
    if (this.#mode === "joined") return Promise.resolve();
    if (this.#mode !== "joining" && this.#lastError) return Promise.reject(this.#lastError);
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  onSample(sample: BudgetSample): BudgetChange | null {
    if (this.#controller !== null) this.#samples.add(sample);
    return null;
  }

  onDemand(demand: Readonly<BudgetDemand>): void {
    const d = this.#demand;
    d.at = demand.at;
    d.inFlightTokens = demand.inFlightTokens;
    d.inFlightCalls = demand.inFlightCalls;
    d.queuedCalls = demand.queuedCalls;
    d.headCharge = demand.headCharge;
    d.headRank = demand.headRank;
    d.headScore = demand.headScore;
    if (demand.queuedCalls > 0 || demand.inFlightCalls > 0) this.#idleSince = performance.now();
    if (this.#mode !== "joined") return;
    if (demand.queuedCalls > 0 && demand.inFlightTokens + demand.headCharge > this.tokens) {
      // Blocked by the lease (not by another limit such as maxInFlightCalls).
      if (!this.#syncing && performance.now() >= this.#blockedRetryAt) this.#requestSync();
      else this.#arm();
    } else if (
      demand.queuedCalls === 0 &&
      !this.#syncing &&
      this.#held > this.#want() + this.#returnSlack()
    ) {
      this.#requestSync();
    }
  }

  stats(): FleetStats {
    return {
      mode: this.#mode,
      replica: this.#o.replica,
      processId: this.#pid,
      held: this.#held,
      budget: this.#budget,
      live: this.#live,
      leader: this.#leader,
      ...this.#counts,
      lastError: this.#lastError,
    };
  }

  gauges() {
    return {
      lease: this.tokens,
      budget: this.#budget,
      live: this.#live,
      leader: this.#leader,
      mode: this.#mode,
    };
  }

  /** Returns the lease and the controller role, stops the timers; the scheduler keeps its fallback share. */
  async close(): Promise<void> {
    if (this.#mode === "closed") return;
    this.#mode = "closed";
    this.#clearTimers();
    this.#controller?.resign();
    this.#unregister?.();
    // Leave whatever the mode: a first sync may have registered this process in Redis before its reply came
    // back (mode still "joining"); on the same connection the leave runs after it. Unreachable: nothing to do.
    await this.#redis.leave(this.#pid).catch(() => 0);
    await this.#redis.close();
    for (const w of this.#waiting.splice(0))
      w.reject(new Error("the fleet member was closed before it joined"));
  }

  // ---- syncing ---------------------------------------------------------------------------------------

  /**
   * What this process would like to hold: its in-flight tokens plus a chunk (or its head) while it has work;
   * with nothing queued, one chunk of prefetch only while no other process waits for tokens (idle slack held
   * here while others are blocked is budget nobody uses), and none once idle for `idleReturnMs`.
   */
  #want(): number {
    const d = this.#demand;
    if (d.queuedCalls > 0) return d.inFlightTokens + Math.max(this.#o.chunkTokens, d.headCharge);
    const now = performance.now();
    const idle = d.inFlightCalls === 0 && now - this.#idleSince >= this.#o.idleReturnMs;
    return idle || now < this.#othersWaitUntil ? d.inFlightTokens : d.inFlightTokens + this.#o.chunkTokens;
  }

  /** Slack beyond `want` kept before a return sync: a chunk of hysteresis, none while others wait. */
  #returnSlack(): number {
    return performance.now() < this.#othersWaitUntil ? 0 : this.#o.chunkTokens;
  }

  #requestSync(): void {
    this.#dirty = true;
    if (this.#syncing || this.#mode === "closed") return;
    this.#syncing = true;
    queueMicrotask(() => void this.#syncLoop());
  }

  async #syncLoop(): Promise<void> {
    let grew = false;
    try {
      while (this.#dirty && this.#mode !== "closed") {
        this.#dirty = false;
        const before = this.tokens;
        const ok = await this.#syncOnce();
        if (!ok) break;
        if (this.tokens > before) grew = true;
      }
    } finally {
      this.#syncing = false;
      this.#cap = Number.POSITIVE_INFINITY;
    }
    this.#arm();
    // Admit against what was granted (the scheduler reports its demand again, which may sync again).
    if (grew || this.#mode !== "joined") this.#target?.tick();
    else if (this.#demand.queuedCalls > 0) this.#target?.tick();
  }

  /** One sync; false when it failed (the process is then on its fallback share). */
  async #syncOnce(): Promise<boolean> {
    const d = this.#demand;
    const queued = d.queuedCalls > 0;
    const want = this.#want();
    const need = d.inFlightTokens + (queued ? d.headCharge : 0);
    // A reply never grants less than the floor sent. A sync meant to shrink the lease (a return, or a yield
    // while others wait) sends the tokens in flight and admits nothing beyond them until the reply; any other
    // sync sends what it holds, and may keep admitting within it. Either way what is in flight stays within
    // what Redis has granted.
    let floor = d.inFlightTokens;
    if (this.#mode === "joined") {
      if (want < this.#held || this.#moreUrgent > 0) this.#cap = d.inFlightTokens;
      else floor = Math.max(floor, this.#held);
    }
    const taken = this.#samples.take();
    const started = performance.now();
    let reply: SyncReply;
    try {
      reply = await this.#redis.sync(this.#pid, {
        ttlMs: this.#o.leaseTtlMs,
        floor,
        inFlight: d.inFlightTokens,
        need,
        want,
        rank: queued ? d.headRank : Number.POSITIVE_INFINITY,
        score: queued ? d.headScore : 0,
        initialBudget: this.#budget,
        queued: d.queuedCalls,
        samples: taken.sums,
        server: taken.server,
        takeLead: this.#controller !== null,
      });
    } catch (error) {
      this.#samples.restore(taken.sums);
      this.#counts.syncErrors += 1;
      this.#metrics?.syncs.inc({ replica: this.#o.replica, result: "error" });
      this.#cap = Number.POSITIVE_INFINITY;
      this.#fallBack(error instanceof Error ? error : new Error(String(error)));
      return false;
    }
    const rtt = performance.now() - started;
    this.#counts.syncs += 1;
    this.#metrics?.syncs.inc({ replica: this.#o.replica, result: "ok" });
    this.#metrics?.syncSeconds.observe({ replica: this.#o.replica }, rtt / 1000);
    this.#apply(reply, queued && reply.held < need);
    return true;
  }

  #apply(reply: SyncReply, stillBlocked: boolean): void {
    const before = this.#held;
    this.#held = reply.held;
    this.#budget = reply.budget;
    this.#live = Math.max(1, reply.live);
    this.#moreUrgent = reply.moreUrgent;
    if (reply.waiters > 0) this.#othersWaitUntil = performance.now() + this.#o.renewIntervalMs;
    this.#lastSyncAt = performance.now();
    // Still blocked: the next blocked sync waits for a notice (tokens freed, a new budget) or a backoff, retryMs
    // after a grant, doubling up to 16x while nothing is granted, so that a blocked process does not spin.
    if (stillBlocked) {
      this.#backoff =
        reply.held > before || this.#backoff === 0
          ? this.#o.retryMs
          : Math.min(this.#backoff * 2, 16 * this.#o.retryMs);
      this.#blockedRetryAt = this.#lastSyncAt + this.#backoff;
    } else {
      this.#backoff = 0;
      this.#blockedRetryAt = 0;
    }
    // A reply that comes back after close() does not reopen the member.
    if (this.#mode === "closed") return;
    if (this.#mode !== "joined") this.#join();
    this.#setLeader(reply.leader);
  }

  #join(): void {
    const wasFallback = this.#mode === "fallback";
    this.#mode = "joined";
    if (this.#joinTimer) clearTimeout(this.#joinTimer);
    this.#joinTimer = null;
    if (wasFallback) {
      this.#counts.recoveries += 1;
      this.#metrics?.recoveries.inc({ replica: this.#o.replica });
      const s = ((performance.now() - this.#fallbackSince) / 1000).toFixed(1);
      this.#log(
        `rejoined after ${s} s on the local share; holding ${this.#held} of ${this.#budget} tokens (${this.#live} processes)`,
      );
      this.#loggedError = "";
    }
    this.#lastError = null;
    for (const w of this.#waiting.splice(0)) w.resolve();
  }

  #fallbackTokens(): number {
    return Math.max(1, Math.floor(this.#budget / Math.max(1, this.#live)));
  }

  #fallBack(error: Error): void {
    if (this.#mode === "closed") return;
    this.#lastError = error;
    const reason = error instanceof FleetKeyError ? "key-error" : "unreachable";
    if (this.#mode !== "fallback") {
      if (this.#mode === "joining") this.#live = Math.max(this.#live, this.#o.expectedProcesses);
      this.#mode = "fallback";
      this.#fallbackSince = performance.now();
      this.#counts.fallbacks += 1;
      this.#metrics?.fallbacks.inc({ replica: this.#o.replica, reason });
      this.#setLeader(false);
      this.#loggedError = error.message;
      this.#log(
        `${reason === "key-error" ? error.message : `Redis unreachable (${error.message})`}; falling back to a local share of ${this.#fallbackTokens()} tokens (budget ${this.#budget} / ${this.#live} processes)`,
      );
      for (const w of this.#waiting.splice(0)) w.reject(error);
      this.#target?.tick();
    } else if (reason === "key-error" && this.#loggedError !== error.message) {
      this.#loggedError = error.message;
      this.#log(`${error.message}; still on the local share of ${this.#fallbackTokens()} tokens`);
    }
  }

  // ---- timers and notices ----------------------------------------------------------------------------

  /** Arms the one sync timer for the earliest reason to sync again. */
  #arm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#mode === "closed") return;
    const now = performance.now();
    let at: number;
    if (this.#mode !== "joined") {
      at = now + Math.min(this.#o.renewIntervalMs, 250);
    } else {
      at = this.#lastSyncAt + this.#o.renewIntervalMs;
      if (this.#moreUrgent > 0) at = Math.min(at, this.#lastSyncAt + this.#o.rebalanceMs);
      if (!this.#samples.empty) at = Math.min(at, this.#lastSyncAt + this.#decisionWallMs / 2);
      if (this.#demand.queuedCalls > 0) at = Math.min(at, Math.max(now, this.#blockedRetryAt));
      else if (this.#demand.inFlightCalls === 0 && this.#held > this.#demand.inFlightTokens)
        at = Math.min(at, this.#idleSince + this.#o.idleReturnMs);
    }
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#requestSync();
      },
      Math.max(0, at - now),
    );
    this.#timer.unref?.();
  }

  #onNotice(kind: string): void {
    if (this.#mode !== "joined") return;
    const blocked = this.#demand.queuedCalls > 0;
    if (kind === "budget" || (kind === "freed" && blocked)) {
      this.#blockedRetryAt = 0;
      this.#requestSync();
    } else if (kind === "wanted") {
      this.#othersWaitUntil = performance.now() + this.#o.renewIntervalMs;
      if (this.#held > this.#want()) this.#requestSync();
    }
  }

  #setLeader(leader: boolean): void {
    this.#leader = leader;
    if (!leader || this.#controller === null) {
      if (this.#decisionTimer) clearInterval(this.#decisionTimer);
      this.#decisionTimer = null;
      if (!leader) this.#controller?.resign();
      return;
    }
    if (this.#decisionTimer) return;
    this.#decisionTimer = setInterval(() => void this.#decide(), this.#decisionWallMs);
    this.#decisionTimer.unref?.();
  }

  async #decide(): Promise<void> {
    const controller = this.#controller;
    if (controller === null || this.#deciding || this.#mode !== "joined") return;
    this.#deciding = true;
    try {
      const change = await controller.decide(this.#redis, this.#pid, this.#o.leaseTtlMs);
      if (change) {
        this.#budget = change.to;
        this.#counts.budgetDecisions += 1;
        this.#metrics?.decisions.inc({ replica: this.#o.replica, reason: change.reason });
      }
      if (!controller.active) this.#setLeader(false);
    } catch {
      // A failed decision is retried at the next interval; the lease syncs report the connection state.
    } finally {
      this.#deciding = false;
    }
  }

  #clearTimers(): void {
    for (const t of [this.#timer, this.#joinTimer]) if (t) clearTimeout(t);
    if (this.#decisionTimer) clearInterval(this.#decisionTimer);
    this.#timer = this.#joinTimer = this.#decisionTimer = null;
  }

  #log(line: string): void {
    (this.#o.log ?? ((l: string) => console.warn(l)))(`augserve fleet [${this.#o.replica}]: ${line}`);
  }
}
