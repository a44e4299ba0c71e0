/**
 * Fair sharing of the budget between tenants (fairness keys), and the rank order within each.
 *
 * Every tenant has its own rank heap on (tier, key, callId). Admission takes the best head among the tenants
 * that are within their fair share; the rule (docs/scheduler.md, "Tenants"):
 *
 *   while W >= 2 tenants have ranked calls waiting, a tenant whose in-flight tokens are at or above
 *   budget / W is passed over; with one tenant waiting (or none over its share), the best call goes.
 *
 * So one heavy tenant cannot hold more than its share (plus the one call that crossed it) while others
 * wait, and the budget is never left idle for fairness' sake (work-conserving). Shares are counted in budget
 * tokens (uncached prompt + expected output), the same unit as the budget.
 *
 * Structures, every operation O(log n + log T) for n queued calls and T tenants:
 * - `#top`: the tenants with ranked calls, keyed by their head's (tier, key, callId);
 * - `#parked`: tenants found over their share, keyed by in-flight tokens, so that those back under the
 *   share (after a release, a budget raise, or fewer tenants waiting) are found first. Parking is lazy: a
 *   tenant is checked when it reaches the top of `#top`.
 * A tenant with nothing queued and nothing in flight is forgotten (a stream of one-off users costs nothing).
 */
import type { CallRecord } from "./call-record.js";
import { IndexedHeap } from "./heap.js";
import { OrderIndex } from "./order-index.js";

export class Tenant {
  readonly id: string;
  /** Ranked (non-promoted) queued calls. */
  readonly heap: IndexedHeap<CallRecord>;
  /** The same calls with token sums, when the overload predictor needs them; else `null`. */
  readonly index: OrderIndex | null;
  inFlightTokens = 0;
  /** Calls queued (ranked or in the lane) or in flight that point to this tenant. */
  refs = 0;
  topIndex = -1;
  parkedIndex = -1;

  constructor(id: string, indexed: boolean) {
    this.id = id;
    this.heap = new IndexedHeap<CallRecord>(RANK_KEYS, RANK_SLOT);
    this.index = indexed ? new OrderIndex() : null;
  }
}

const RANK_KEYS = {
  primary: (c: CallRecord) => c.tier,
  secondary: (c: CallRecord) => c.key,
  tie: (c: CallRecord) => c.callId,
};
const RANK_SLOT = {
  get: (c: CallRecord) => c.rankIndex,
  set: (c: CallRecord, i: number) => {
    c.rankIndex = i;
  },
};

const head = (t: Tenant) => t.heap.peek() as CallRecord;

export class TenantQueues {
  readonly #tenants = new Map<string, Tenant>();
  readonly #indexed: boolean;
  readonly #top = new IndexedHeap<Tenant>(
    { primary: (t) => head(t).tier, secondary: (t) => head(t).key, tie: (t) => head(t).callId },
    {
      get: (t) => t.topIndex,
      set: (t, i) => {
        t.topIndex = i;
      },
    },
  );
  readonly #parked = new IndexedHeap<Tenant>(
    { primary: (t) => t.inFlightTokens, secondary: () => 0, tie: () => 0 },
    {
      get: (t) => t.parkedIndex,
      set: (t, i) => {
        t.parkedIndex = i;
      },
    },
  );
  /** Tenants with ranked calls queued. */
  #waiting = 0;
  #size = 0;
  /**
   * The only tenant in `#top` has a head whose keys `#top` has not re-read (with one tenant listed, order
   * among tenants is trivial, so the common single-tenant case skips that work until a second one comes).
   */
  #topStale = false;

  /**
   * Each tenant's share when set (a budget shared by a fleet, src/fleet/: the fleet-wide fair shares), instead
   * of budget / tenants waiting; then every waiting tenant is checked at each choice, O(T log T).
   */
  shareOf: ((tenant: string, fair: number) => number) | null = null;

  /** `indexed`: keep an {@link OrderIndex} per tenant (overload shedding). */
  constructor(indexed: boolean) {
    this.#indexed = indexed;
  }

  /** Ranked calls queued, all tenants. */
  get size(): number {
    return this.#size;
  }

  /** Tenants with ranked calls queued. */
  get waiting(): number {
    return this.#waiting;
  }

  /** The tenant called `id`, created on first use. Call {@link TenantQueues.unref} for each reference. */
  ref(id: string): Tenant {
    let tenant = this.#tenants.get(id);
    if (tenant === undefined) {
      tenant = new Tenant(id, this.#indexed);
      this.#tenants.set(id, tenant);
    }
    tenant.refs += 1;
    return tenant;
  }

  /** Drops one reference; a tenant with none left is forgotten. */
  unref(tenant: Tenant): void {
    tenant.refs -= 1;
    if (tenant.refs === 0 && tenant.heap.size === 0) this.#tenants.delete(tenant.id);
  }

  /** Adds a scored call of `call.tenant`. O(log n + log T). */
  add(call: CallRecord): void {
    const t = call.tenant as Tenant;
    const before = t.heap.peek();
    t.heap.push(call);
    t.index?.insert(call);
    this.#size += 1;
    if (before === undefined) {
      this.#waiting += 1;
      this.#pushTop(t);
    } else if (t.heap.peek() !== before) this.#headMoved(t);
  }

  /** Removes a ranked call. O(log n + log T). */
  remove(call: CallRecord): void {
    const t = call.tenant as Tenant;
    const wasHead = t.heap.peek() === call;
    if (!t.heap.remove(call)) return;
    t.index?.remove(call);
    this.#size -= 1;
    if (t.heap.size === 0) {
      this.#waiting -= 1;
      this.#top.remove(t);
      this.#parked.remove(t);
    } else if (wasHead) this.#headMoved(t);
  }

  /** Restores order after `call`'s keys (or charge) changed. O(log n + log T). */
  rekey(call: CallRecord): void {
    const t = call.tenant as Tenant;
    if (!t.heap.has(call)) return;
    const before = t.heap.peek();
    t.heap.update(call);
    if (t.index) {
      t.index.remove(call);
      t.index.insert(call);
    }
    const after = t.heap.peek();
    if (after !== before || after === call) this.#headMoved(t);
  }

  /** Charges (positive) or releases (negative) in-flight tokens of a tenant. O(log T). */
  charge(tenant: Tenant, tokens: number): void {
    tenant.inFlightTokens += tokens;
    if (tenant.parkedIndex >= 0) this.#parked.update(tenant);
  }

  /**
   * The call to admit next under fair sharing of `budget`, or `undefined` when every waiting tenant is at
   * its share (then the budget is full of their calls) or nothing is queued. Amortised O(log n + log T).
   */
  best(budget: number): CallRecord | undefined {
    if (this.#waiting <= 1) {
      if (this.#parked.size > 0) this.#unparkAll();
      const t = this.#top.peek();
      return t === undefined ? undefined : head(t);
    }
    const share = budget / this.#waiting;
    if (this.shareOf !== null) return this.#bestWithShares(share, this.shareOf);
    for (let p = this.#parked.peek(); p !== undefined && p.inFlightTokens < share; p = this.#parked.peek()) {
      this.#parked.remove(p);
      this.#pushTop(p);
    }
    for (let t = this.#top.peek(); t !== undefined; t = this.#top.peek()) {
      if (t.inFlightTokens < share) return head(t);
      this.#top.remove(t);
      this.#parked.push(t);
    }
    return undefined;
  }

  /** Tenants with calls queued or in flight: id, in-flight tokens, ranked calls queued. O(T). */
  *demand(): IterableIterator<{ id: string; inFlightTokens: number; queued: number }> {
    for (const t of this.#tenants.values())
      yield { id: t.id, inFlightTokens: t.inFlightTokens, queued: t.heap.size };
  }

  /**
   * The best head among the tenants below their own share; when every waiting tenant is at or above it (the
   * shares come from outside and may lag what this process holds), the head of the tenant with the fewest
   * tokens in flight: work-conserving, as the budget decides whether it fits.
   */
  #bestWithShares(fair: number, shareOf: (tenant: string, fair: number) => number): CallRecord | undefined {
    this.#unparkAll();
    for (let t = this.#top.peek(); t !== undefined; t = this.#top.peek()) {
      if (t.inFlightTokens < shareOf(t.id, fair)) return head(t);
      this.#top.remove(t);
      this.#parked.push(t);
    }
    const least = this.#parked.peek();
    return least === undefined ? undefined : head(least);
  }

  /** Checks every heap and index and the tenant bookkeeping; for tests. O(n). */
  isValid(): boolean {
    this.#refreshTop();
    let size = 0;
    for (const t of this.#tenants.values()) {
      if (!t.heap.isValid() || (t.index !== null && !t.index.isValid())) return false;
      if (t.index !== null && t.index.size !== t.heap.size) return false;
      const listed = this.#top.has(t) || this.#parked.has(t);
      if (listed !== t.heap.size > 0) return false;
      size += t.heap.size;
    }
    return size === this.#size && this.#top.isValid() && this.#parked.isValid();
  }

  #unparkAll(): void {
    for (let p = this.#parked.peek(); p !== undefined; p = this.#parked.peek()) {
      this.#parked.remove(p);
      this.#pushTop(p);
    }
  }

  /** `t`'s head (or its keys) changed: restore `#top`'s order, or defer it while `t` is alone there. */
  #headMoved(t: Tenant): void {
    if (t.topIndex === 0 && this.#top.size === 1) this.#topStale = true;
    else this.#top.update(t);
  }

  #pushTop(t: Tenant): void {
    this.#refreshTop();
    this.#top.push(t);
  }

  #refreshTop(): void {
    if (!this.#topStale) return;
    this.#topStale = false;
    const only = this.#top.peek();
    if (only !== undefined) this.#top.update(only);
  }
}
