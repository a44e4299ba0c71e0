/**
 * What the report derives from a results file before drawing anything: the policy order, the rates, the
 * sustainable rate of each policy, and which point the TTFT CDF and the timeline show.
 */
import type { BenchResults, PolicyResult, Timeline } from "./schema.js";

/** The policy every ratio is taken against (a LangChain app as it is today). */
export const BASELINE_POLICY = "plain";
/** The policy whose timeline the report prefers. */
export const TIMELINE_POLICY = "augserve";
/** A rate is sustainable for a policy when at least this share of its runs meets the SLO (issue 4). */
export const SUSTAINABLE_ATTAINMENT = 0.9;

export interface ReportModel {
  results: BenchResults;
  /** `setup.policies` order, then any policy only seen in `results`, in first-seen order. */
  policies: string[];
  /** Every rate in `results`, ascending. */
  rates: number[];
  /** The results of the file's `virtualSweep`, `null` without one. */
  sweep: PolicyResult[] | null;
  /**
   * Highest swept rate with at least 90% SLO attainment, per policy; `null` when none. From the virtual sweep
   * when the file has one (its rates span the curve; a live file has a few points), else from `results`.
   */
  sustainableRate: Map<string, number | null>;
  sustainableFrom: "results" | "virtualSweep";
  /** The highest rate at which some result carries a `ttftCdf`; `null` when none does. */
  cdfRate: number | null;
  /** The timeline drawn: `augserve`'s at its highest rate, else the first one; `null` when the file has none. */
  timeline: Timeline | null;
}

export function buildReportModel(results: BenchResults): ReportModel {
  const sweep = results.virtualSweep?.results ?? null;
  const policies = [
    ...new Set([
      ...(results.setup?.policies ?? []),
      ...results.results.map((r) => r.policy),
      ...(sweep ?? []).map((r) => r.policy),
    ]),
  ];
  const rates = [...new Set(results.results.map((r) => r.ratePerS))].sort((a, b) => a - b);

  const sustainableRate = new Map<string, number | null>();
  for (const policy of policies) {
    const ok = (sweep ?? results.results).filter(
      (r) => r.policy === policy && r.sloAttainment >= SUSTAINABLE_ATTAINMENT,
    );
    sustainableRate.set(policy, ok.length === 0 ? null : Math.max(...ok.map((r) => r.ratePerS)));
  }

  const cdfRates = results.results.filter((r) => (r.ttftCdf?.length ?? 0) > 0).map((r) => r.ratePerS);
  const cdfRate = cdfRates.length === 0 ? null : Math.max(...cdfRates);

  return {
    results,
    policies,
    rates,
    sweep,
    sustainableRate,
    sustainableFrom: sweep === null ? "results" : "virtualSweep",
    cdfRate,
    timeline: pickTimeline(results.timelines ?? []),
  };
}

function pickTimeline(timelines: Timeline[]): Timeline | null {
  const preferred = timelines.filter((t) => t.policy === TIMELINE_POLICY);
  const pool = preferred.length > 0 ? preferred : timelines;
  if (pool.length === 0) return null;
  return pool.reduce((best, t) => (t.ratePerS > best.ratePerS ? t : best));
}

/** The results at one rate, in policy order. */
export function resultsAtRate(model: ReportModel, rate: number): PolicyResult[] {
  const order = new Map(model.policies.map((p, i) => [p, i]));
  return model.results.results
    .filter((r) => r.ratePerS === rate)
    .sort((a, b) => order.get(a.policy)! - order.get(b.policy)!);
}

/** `value / baseline`, or `null` when either is missing or the baseline is 0. */
export function ratio(value: number | null, baseline: number | null | undefined): number | null {
  if (value === null || baseline === null || baseline === undefined || baseline === 0) return null;
  return value / baseline;
}
