/**
 * `SharedBudget`: one process's lease on a replica's global budget, behind the scheduler's `BudgetController`
 * interface, in the manner of Google's Doorman: the process holds a capacity lease sized by the fleet's share
 * algorithm (SYNC_LUA: weighted max-min fair shares between tenants, then head rank) to its recent demand, and
 * refreshes it every `renewIntervalMs`. Admission is local and synchronous: the scheduler admits against
 * `tokens` = min(held, allocation) and never waits on Redis while the lease has room.
 *
 * When to sync (one `SYNC_LUA` round trip; at most one in flight, later requests folded into the next):
 * - the refresh: every `renewIntervalMs` (the lease's TTL runs on Redis time; demand and samples go along);
 * - early, at most every `rebalanceMs`: blocked while holding less than one call and entitled to more
 *   (starved), blocked while the last reply showed free tokens and nobody waiting (borrow), blocked with twice
 *   the demand it published (outgrown), or holding beyond its allocation while someone waits (return);
 * - on notices: `freed` while blocked, `wanted` while holding beyond its allocation, `budget` always.
 * So at steady load a process costs one round trip per refresh, whatever its call rate. While nobody waits a
 * process admits against all it holds (free tokens are borrowed); while someone does (a reply or a `wanted`
 * notice said so) against its allocation only, returning the rest as its calls end: under contention the
 * capacity moves within one refresh interval.
 *
 * A sync's floor is the local budget (what may be admitted while the script runs: the hot path never waits on
 * the round trip); a sync that returns tokens sends less and caps the local budget at it until the reply. A
 * reply never grants less than the floor, so what a process has in flight stays within what Redis granted it.
 *
 * Faults: a failed or slow script (Redis unreachable, a key that is not ours) puts the process on its local
 * fallback share, `floor(last known budget / the most live processes seen within two TTLs)`, never more; it
 * keeps retrying, and the first sync that succeeds rejoins with its tokens in flight as its floor. Lost state
 * (a flush, a restart, records gone) is detected by the script (I5) and recovered conservatively.
 */
import type { BudgetChange, BudgetController, BudgetSample } from "../scheduler/budget.js";
import { type BudgetDemand, emptyDemand } from "../scheduler/demand.js";
import type { ResolvedSchedulerOptions } from "../scheduler/options.js";
import type { Clock, Slo } from "../scheduler/types.js";
import { FleetController } from "./controller.js";
import { buildRecord, perQueuedCall, type TenantCount } from "./demand-record.js";
import { FleetKeyError } from "./errors.js";
import type { FleetMetrics } from "./metrics.js";
import type { ResolvedSharedOptions } from "./options.js";
import type { FleetRedis, SyncReply } from "./redis.js";
import { SampleSums } from "./samples.js";

export type FleetMode = "joining" | "joined" | "fallback" | "closed";
/** Why a sync was asked for: the refresh timer, or an early sync's reason. */
export type SyncReason =
  | "refresh"
  | "starved"
  | "borrow"
  | "outgrown"
  | "return"
  | "freed"
  | "wanted"
  | "budget";

/** A copy of a member's state and counters. */
export interface FleetStats {
  mode: FleetMode;
  replica: string;
  processId: string;
  /** Tokens this process holds (its local budget while joined is at most this and its allocation). */
  held: number;
  /** Its allocation under the fleet's share algorithm, as last read. */
  allocation: number;
  /** The replica's global budget, as last read. */
  budget: number;
  live: number;
  leader: boolean;
  /** The fleet is recovering lost state (grants capped at a fair share for one TTL). */
  recovering: boolean;
  /** Scripts sent to Redis (syncs, the controller's, the leave), failed ones included. */
  roundTrips: number;
  syncs: number;
  syncErrors: number;
  fallbacks: number;
  recoveries: number;
  budgetDecisions: number;
  /** Syncs asked for, by reason (several asks may fold into one sync). */
  syncReasons: Record<SyncReason, number>;
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

/** A scheduler that admits against a {@link SharedBudget}: ticked when the lease grows; tenants for the shares. */
export interface LeaseTarget {
  tick(): void;
  tenantDemand?(): Iterable<TenantCount>;
}

export class SharedBudget implements BudgetController {
  readonly minTokens = 0;
  readonly maxTokens: number;
  readonly #o: ResolvedSharedOptions;
  readonly #pid: string;
  readonly #redis: FleetRedis;
  #metrics: FleetMetrics | null;
  readonly #initialBudget: number;
  readonly #budgetBounds: { min: number; max: number };
  readonly #controller: FleetController | null;
  readonly #decisionWallMs: number;
  readonly #samples = new SampleSums();
  readonly #demand: BudgetDemand = emptyDemand();
  readonly #waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];
  #target: LeaseTarget | null = null;
  #mode: FleetMode = "joining";
  #held = 0;
  #alloc = 0;
  #tenantAlloc = new Map<string, number>();
  #budget: number;
  #live = 1;
  /** The most live processes seen within two TTLs (the fallback share's divisor), and when it was seen. */
  #liveMax = 1;
  #liveMaxAt = Number.NEGATIVE_INFINITY;
  #leader = false;
  #recovering = false;
  /**
   * Until then another member waits (blocked, holding less than its allocation: the last reply or a `wanted`
   * notice said so): this process admits within its allocation only and returns what it borrowed beyond it.
   */
  #othersWaitUntil = 0;
  /** Tokens nobody held at the last reply (budget - the sum of the holds): worth borrowing when blocked. */
  #free = 0;
  /** This process holds a lease that Redis knows (its record must exist; if not, state was lost). */
  #known = false;
  /** The local budget the last reply gave (held, capped at the allocation): the fallback share's ceiling. */
  #lastLease = 0;
  /** While a sync that returns tokens is in flight, the local budget is capped at the floor it sent. */
  #cap = Number.POSITIVE_INFINITY;
  /** The demand (tokens in flight + queued) the last sync published. */
  #publishedDemand = 0;
  #syncing = false;
  #dirty = false;
  #lastSyncAt = Number.NEGATIVE_INFINITY;
  /** Earliest time of an early (not refresh) sync. */
  #earlyAt = Number.POSITIVE_INFINITY;
  #idleSince = 0;
  #fallbackSince = 0;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Number.POSITIVE_INFINITY;
  #decisionTimer: NodeJS.Timeout | null = null;
  #joinTimer: NodeJS.Timeout | null = null;
  #deciding = false;
  #lastError: Error | null = null;
  #loggedError = "";
  readonly #counts = {
    syncs: 0,
    syncErrors: 0,
    fallbacks: 0,
    recoveries: 0,
    budgetDecisions: 0,
    syncReasons: {
      refresh: 0,
      starved: 0,
      borrow: 0,
      outgrown: 0,
      return: 0,
      freed: 0,
      wanted: 0,
      budget: 0,
    },
  };
  #unregister: (() => void) | null = null;

  constructor(options: ResolvedSharedOptions, budget: ResolvedBudget, slo: Slo, deps: SharedBudgetDeps) {
    this.#o = options;
    this.#pid = options.processId as string;
    this.#redis = deps.redis;
    this.#metrics = deps.metrics;
    if (budget.mode === "fixed") {
      this.#initialBudget = budget.tokens;
      this.maxTokens = budget.tokens;
      this.#budgetBounds = { min: budget.tokens, max: budget.tokens };
      this.#controller = null;
    } else {
      this.#initialBudget = budget.initialTokens;
      this.maxTokens = budget.maxTokens;
      this.#budgetBounds = { min: Math.max(1, budget.minTokens), max: budget.maxTokens };
      this.#controller = new FleetController(budget, slo, deps.clock);
    }
    const interval = budget.mode === "adaptive" ? budget.intervalMs : 500;
    this.#decisionWallMs = Math.max(10, interval * (deps.wallPerClockMs ?? 1));
    this.#budget = this.#initialBudget;
    this.#liveMax = options.expectedProcesses;
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
        const local = Math.min(this.#localBudget(), this.#cap);
        // The scheduler admits a call alone when nothing else is in flight; with a lease smaller than that call
        // (and than the whole budget) it would run on tokens this process does not hold.
        if (d.inFlightCalls === 0 && local < Math.min(d.headCharge, this.#budget)) return 0;
        return local;
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
  attach(target: LeaseTarget): void {
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

  /** The scheduler's demand after an admission pass (hot path: a few comparisons, no allocation). */
  onDemand(demand: Readonly<BudgetDemand>): void {
    Object.assign(this.#demand, demand);
    const d = this.#demand;
    const now = performance.now();
    if (d.queuedCalls > 0 || d.inFlightCalls > 0) this.#idleSince = now;
    if (this.#mode !== "joined" || this.#syncing) return;
    const chunk = this.#o.chunkTokens;
    if (this.#othersWait(now) && this.#held - Math.max(this.#alloc, d.inFlightTokens) >= chunk / 4) {
      // Someone waits for its share: give back what this process holds beyond its own as its calls end
      // (blocked or not: under contention every process is).
      this.#syncEarly(now, "return");
    } else if (d.queuedCalls > 0 && d.inFlightTokens + d.headCharge > this.tokens) {
      // Blocked by the lease. Urgency and small changes wait for the refresh (capacity moves within one
      // refresh interval); a demand past the budget changes no allocation (records are capped at it).
      const wants = Math.min(this.#budget, d.inFlightTokens + d.queuedCalls * perQueuedCall(d));
      const outgrown = wants > this.#publishedDemand * 2 + chunk;
      const starved = this.#held < Math.min(d.headCharge, this.#budget) && this.#alloc > this.#held;
      const borrow = !this.#othersWait(now) && this.#free >= d.headCharge;
      if (outgrown || starved || borrow)
        this.#syncEarly(now, outgrown ? "outgrown" : starved ? "starved" : "borrow");
    }
  }

  /** The tokens tenant `tenant` may hold here while several tenants wait: its fleet-wide allocation here. */
  tenantShare(tenant: string, fair: number): number {
    if (this.#mode !== "joined" || this.#tenantAlloc.size < 2) return fair;
    const allocated = this.#tenantAlloc.get(tenant);
    if (allocated === undefined || this.#alloc <= 0) return fair;
    return allocated;
  }

  stats(): FleetStats {
    return {
      mode: this.#mode,
      replica: this.#o.replica,
      processId: this.#pid,
      held: this.#held,
      allocation: this.#alloc,
      budget: this.#budget,
      live: this.#live,
      leader: this.#leader,
      recovering: this.#recovering,
      roundTrips: this.#redis.roundTrips,
      ...this.#counts,
      syncReasons: { ...this.#counts.syncReasons },
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

  /** The lease, or the allocation while another member waits for its share. */
  #localBudget(): number {
    return this.#othersWait() ? Math.min(this.#held, this.#alloc) : this.#held;
  }

  /** Counts why syncs were asked for (an early sync asked again before it ran counts again). */
  #reason(reason: SyncReason): void {
    this.#counts.syncReasons[reason] += 1;
  }

  #othersWait(now = performance.now()): boolean {
    return now < this.#othersWaitUntil;
  }

  #idle(now: number): boolean {
    const d = this.#demand;
    return d.queuedCalls === 0 && d.inFlightCalls === 0 && now - this.#idleSince >= this.#o.idleReturnMs;
  }

  #syncEarly(now: number, reason: SyncReason): void {
    this.#reason(reason);
    const at = Math.max(now, this.#lastSyncAt + this.#o.rebalanceMs);
    if (at <= now) this.#requestSync();
    else if (at < this.#earlyAt) {
      this.#earlyAt = at;
      this.#arm();
    }
  }

  #requestSync(): void {
    this.#dirty = true;
    if (this.#syncing || this.#mode === "closed") return;
    this.#syncing = true;
    queueMicrotask(() => void this.#syncLoop());
  }

  async #syncLoop(): Promise<void> {
    const before = this.tokens;
    try {
      while (this.#dirty && this.#mode !== "closed") {
        this.#dirty = false;
        const ok = await this.#syncOnce();
        if (!ok) break;
      }
    } finally {
      this.#syncing = false;
      this.#cap = Number.POSITIVE_INFINITY;
    }
    this.#arm();
    // Admit against what was granted (the scheduler reports its demand again, which may sync again).
    if (this.tokens > before || this.#mode !== "joined" || this.#demand.queuedCalls > 0) this.#target?.tick();
  }

  /** One sync; false when it failed (the process is then on its fallback share). */
  async #syncOnce(): Promise<boolean> {
    const d = this.#demand;
    const now = performance.now();
    this.#earlyAt = Number.POSITIVE_INFINITY;
    // A reply never grants less than the floor. Joined, the floor is the local budget (what it may admit
    // while the script runs: the hot path never waits on the round trip), so a sync returns only what it holds
    // beyond what it may use; otherwise its tokens in flight.
    const record = buildRecord({
      demand: d,
      tenants: [...(this.#target?.tenantDemand?.() ?? [])],
      headroom: this.#idle(now) ? 0 : this.#o.chunkTokens,
      budget: this.#budget,
      weightOf: (t) => this.#o.tenantWeights[t] ?? 1,
    });
    // Beyond its demand (idle, or a shrinking queue) the floor gives way, and while it does the local budget is
    // capped at it until the reply: what is in flight stays within what Redis granted.
    const local = this.#mode === "joined" ? this.#localBudget() : 0;
    const floor = Math.max(d.inFlightTokens, Math.min(local, record.d));
    if (floor < local) this.#cap = floor;
    const taken = this.#samples.take();
    const started = performance.now();
    let reply: SyncReply;
    try {
      reply = await this.#redis.sync(this.#pid, {
        ttlMs: this.#o.leaseTtlMs,
        floor,
        record,
        initialBudget: this.#budget,
        minBudget: this.#budgetBounds.min,
        maxBudget: this.#budgetBounds.max,
        known: this.#known,
        liveHint: this.#liveMax,
        prior: this.#mode === "joined" ? this.#lastLease : this.#fallbackTokens(),
        hysteresis: this.#o.chunkTokens / 4,
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
    this.#publishedDemand = Math.min(this.#budget, d.inFlightTokens + d.queuedCalls * perQueuedCall(d));
    this.#apply(reply);
    return true;
  }

  #apply(reply: SyncReply): void {
    const now = performance.now();
    this.#held = reply.held;
    this.#alloc = reply.alloc;
    this.#lastLease = reply.waiters > 0 ? Math.min(reply.held, reply.alloc) : reply.held;
    this.#tenantAlloc = reply.tenants;
    this.#budget = reply.budget;
    this.#live = Math.max(1, reply.live);
    if (this.#live >= this.#liveMax || now - this.#liveMaxAt > 2 * this.#o.leaseTtlMs) {
      this.#liveMax = this.#live;
      this.#liveMaxAt = now;
    }
    this.#othersWaitUntil = reply.waiters > 0 ? now + this.#o.renewIntervalMs : 0;
    this.#free = Math.max(0, reply.budget - reply.leased);
    this.#recovering = reply.recovering;
    this.#known = true;
    this.#lastSyncAt = now;
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

  /**
   * The fallback share: a fair share of the last known budget (over the most live processes seen within two
   * TTLs), and no more than the lease this process last held (or a quarter chunk): the members' leases were
   * within the budget together, whereas fair shares are only while every member is at or below its own (one
   * that has not noticed the fault yet may hold more). A process that never held a lease: budget /
   * expectedProcesses.
   */
  #fallbackTokens(): number {
    const fair = Math.max(1, Math.floor(this.#budget / Math.max(1, this.#liveMax, this.#live)));
    // At least a quarter chunk, so that a process that held nothing at the fault still serves (its calls may
    // take the fleet over by that much, only while another holds more than its fair share).
    return this.#known ? Math.min(fair, Math.max(this.#lastLease, this.#o.chunkTokens / 4)) : fair;
  }

  #fallBack(error: Error): void {
    if (this.#mode === "closed") return;
    this.#lastError = error;
    const reason = error instanceof FleetKeyError ? "key-error" : "unreachable";
    if (this.#mode !== "fallback") {
      this.#mode = "fallback";
      this.#fallbackSince = performance.now();
      this.#counts.fallbacks += 1;
      this.#metrics?.fallbacks.inc({ replica: this.#o.replica, reason });
      this.#setLeader(false);
      this.#loggedError = error.message;
      this.#log(
        `${reason === "key-error" ? error.message : `Redis unreachable (${error.message})`}; falling back to a local share of ${this.#fallbackTokens()} tokens (budget ${this.#budget} / ${Math.max(this.#liveMax, this.#live)} processes)`,
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
    if (this.#mode === "closed") return;
    const now = performance.now();
    let at: number;
    if (this.#mode !== "joined") {
      at = now + Math.min(this.#o.renewIntervalMs, 250);
    } else {
      at = Math.min(this.#lastSyncAt + this.#o.renewIntervalMs, this.#earlyAt);
      // Going idle: the headroom goes back once idle for idleReturnMs (a refresh publishes no headroom then).
      const d = this.#demand;
      if (d.inFlightCalls === 0 && d.queuedCalls === 0 && this.#held > 0 && !this.#idle(now))
        at = Math.min(at, this.#idleSince + this.#o.idleReturnMs + 1);
    }
    if (this.#timer && this.#timerAt <= at && this.#timerAt >= now) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#timerAt = Number.POSITIVE_INFINITY;
        if (this.#earlyAt > performance.now()) this.#reason("refresh");
        this.#requestSync();
      },
      Math.max(0, at - now),
    );
    this.#timer.unref?.();
  }

  #onNotice(kind: string): void {
    if (this.#mode !== "joined") return;
    const now = performance.now();
    const d = this.#demand;
    if (kind === "budget") {
      this.#reason("budget");
      this.#requestSync();
    } else if (kind === "freed" && d.queuedCalls > 0 && d.inFlightTokens + d.headCharge > this.tokens)
      this.#syncEarly(now, "freed");
    else if (kind === "wanted") {
      // Someone waits for its share: admit within this process's own, give back the rest.
      this.#othersWaitUntil = now + this.#o.renewIntervalMs;
      if (this.#held - Math.max(this.#alloc, d.inFlightTokens) >= this.#o.chunkTokens / 4)
        this.#syncEarly(now, "wanted");
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
