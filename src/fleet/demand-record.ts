/**
 * What one process tells the fleet it wants: its record in `base:demand` (SYNC_LUA), built from the
 * scheduler's demand report and its per-tenant counts at each sync (never on the admission path).
 *
 * Demand is what the lease is sized to (Doorman's "wants"): the tokens in flight, the queued calls'
 * estimated charges, and one chunk of headroom so that a process below its share admits new work without a
 * round trip. Queued charges are estimated from the head's charge and the mean charge in flight (the
 * scheduler reports counts, not every queued call's charge): the allocation needs the order of magnitude of
 * each tenant's backlog, not its exact size.
 */
import type { BudgetDemand } from "../scheduler/demand.js";
import type { DemandRecord } from "./redis.js";

/** One tenant's counts in this process (the scheduler's `tenantDemand()`). */
export interface TenantCount {
  id: string;
  inFlightTokens: number;
  queued: number;
}

/** Rank sent for a process with nothing queued: after every real rank (a JSON number, unlike Infinity). */
export const IDLE_RANK = 1e9;
/** At most this many tenants per record (the largest by demand; the rest are summed into the largest). */
export const MAX_TENANTS_PER_RECORD = 32;

/** The estimated charge of one queued call. */
export function perQueuedCall(d: Readonly<BudgetDemand>): number {
  const meanInFlight = d.inFlightCalls > 0 ? d.inFlightTokens / d.inFlightCalls : 0;
  if (d.headCharge > 0 && meanInFlight > 0) return (d.headCharge + meanInFlight) / 2;
  return d.headCharge > 0 ? d.headCharge : meanInFlight;
}

export interface RecordInput {
  demand: Readonly<BudgetDemand>;
  /** Per tenant; empty when the scheduler does not report tenants (then one anonymous tenant). */
  tenants: TenantCount[];
  /** Headroom beyond in flight + queued: a chunk while active, 0 once idle. */
  headroom: number;
  /** Demand is capped at the budget (no process can use more). */
  budget: number;
  weightOf: (tenant: string) => number;
}

/** The record of one sync. */
export function buildRecord(input: RecordInput): DemandRecord {
  const { demand: d, headroom, budget } = input;
  // Nothing in flight and no head reported (every tenant over a share that lags): a quarter of the headroom.
  const per = perQueuedCall(d) || headroom / 4 || 1;
  const queued = d.queuedCalls > 0;
  const listed = input.tenants.filter((t) => t.inFlightTokens > 0 || t.queued > 0);
  const rows =
    listed.length > 0
      ? listed.map((t) => ({ id: t.id, f: t.inFlightTokens, q: t.queued }))
      : [{ id: "", f: d.inFlightTokens, q: d.queuedCalls }];
  // Calls in the liveness lane are queued but not in any tenant's ranked heap: count them for the first row.
  const ranked = rows.reduce((sum, r) => sum + r.q, 0);
  if (d.queuedCalls > ranked && rows[0]) rows[0].q += d.queuedCalls - ranked;
  rows.sort((a, b) => b.f + b.q * per - (a.f + a.q * per));
  while (rows.length > MAX_TENANTS_PER_RECORD) {
    const last = rows.pop();
    if (last && rows[0]) {
      rows[0].f += last.f;
      rows[0].q += last.q;
    }
  }
  const t: DemandRecord["t"] = {};
  let total = 0;
  for (const r of rows) {
    const want = Math.min(budget, r.f + r.q * per + headroom / rows.length);
    const f = Math.round(r.f);
    const dt = Math.max(f, Math.round(want));
    t[r.id] = [f, dt, input.weightOf(r.id)];
    total += dt;
  }
  return {
    f: Math.round(d.inFlightTokens),
    d: Math.min(Math.max(budget, d.inFlightTokens), total),
    n: Math.round(d.inFlightTokens + (queued ? Math.min(d.headCharge, budget) : 0)),
    q: d.queuedCalls,
    r: queued && Number.isFinite(d.headRank) ? d.headRank : IDLE_RANK,
    s: queued && Number.isFinite(d.headScore) ? d.headScore : 0,
    t,
  };
}
