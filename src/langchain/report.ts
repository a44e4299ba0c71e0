/**
 * The A/B report: both arms' run metrics side by side, as DESIGN.md section 5 defines them, with
 * bootstrap confidence intervals and a comparison against the noise floor an A/A run measured.
 */
import { quantileSorted } from "../metrics/index.js";
import { bootstrapMean, bootstrapMeanDiff, type Interval, mean } from "./stats.js";

/** The two arms. Without an A/B test every run is in `"treatment"`. */
export type ArmName = "control" | "treatment";
/** What an arm's runs go through. */
export type Treatment = "plain" | "scheduled";

/**
 * How a run ended. `"abandoned"`: its invocation stopped where the middleware could not see how (an
 * interrupt never resumed, a limit or recursion error raised between model calls, a process-level leak) and
 * the run was swept after `runIdleTimeoutMs` without activity, or superseded by the next invocation on its
 * thread. Abandoned runs are counted apart from errors.
 */
export type AgentRunOutcome = "ok" | "error" | "aborted" | "abandoned";

/**
 * One finished run of the middleware, as the A/B report sees it. Times in ms. Its TTFT, NormLatency and
 * `sloMet` are the metrics' (`metrics/slo.ts`), as for the benches' `RunRecord`; this is the report's row,
 * not a second definition of them.
 */
export interface AgentRunRecord {
  arm: ArmName;
  /** `outcome === "ok"`. */
  ok: boolean;
  outcome: AgentRunOutcome;
  arrivalMs: number;
  endMs: number;
  /** First token of the run's first call - arrival; null when no token came. */
  ttftMs: number | null;
  e2eMs: number;
  toolMs: number;
  outputTokens: number;
  /** (E2E - tool time) / output tokens; null without output tokens. */
  normLatencyMsPerToken: number | null;
  /** Time the run's calls spent waiting for admission. */
  queueWaitMs: number;
  /** Time the run's calls spent in the model (admission to response). */
  modelMs: number;
  /** Whether the run met the SLO: `meetsSlo` of metrics/, the one predicate. */
  sloMet: boolean;
}

/** @deprecated The former name of {@link AgentRunRecord} (the benches' run record is metrics' `RunRecord`). */
export type RunRecord = AgentRunRecord;

/** Summary of one metric of one arm. */
export interface MetricSummary {
  n: number;
  mean: number;
  /** 95% bootstrap confidence interval of the mean. */
  meanCi: Interval;
  p50: number;
  p90: number;
  p99: number;
}

/** One arm's metrics. */
export interface ArmReport {
  treatment: Treatment;
  runs: number;
  completed: number;
  /** Runs that ended in an error or were aborted. */
  failed: number;
  /** Runs swept as abandoned (see {@link AgentRunOutcome}); neither completed nor failed. */
  abandoned: number;
  ttftMs: MetricSummary;
  e2eMs: MetricSummary;
  normLatencyMsPerToken: MetricSummary;
  /** Queue wait for admission, apart from model time. */
  queueWaitMs: MetricSummary;
  modelMs: MetricSummary;
  toolMs: MetricSummary;
  /** Share of runs meeting the SLO, 0..1, with a 95% normal-approximation interval. */
  sloAttainment: { value: number; ci: Interval };
  /** Runs meeting the SLO per second of the arm's arrival window. */
  goodputPerS: number;
}

/** The metrics compared between arms (lower is better, except `sloAttainment`). */
export const COMPARED_METRICS = [
  "ttftMs",
  "e2eMs",
  "normLatencyMsPerToken",
  "queueWaitMs",
  "sloAttainment",
] as const;
export type ComparedMetric = (typeof COMPARED_METRICS)[number];

/** Treatment minus control for one metric. */
export interface MetricComparison {
  control: number;
  treatment: number;
  /** treatment - control. */
  diff: number;
  /** 95% confidence interval of the difference. */
  diffCi: Interval;
  /** diff / control. */
  relativeDiff: number;
  /** The interval excludes 0. */
  significant: boolean;
  /** The noise floor this comparison is held against (relative), if known. */
  noiseFloor: number | null;
  /** Significant and |relativeDiff| above the noise floor; null when no noise floor is known. */
  exceedsNoiseFloor: boolean | null;
}

/** What `AugServe.report()` returns. */
export interface AbReport {
  mode: "ab" | "aa-plain" | "aa-scheduled" | "off";
  fraction: number;
  slo: { ttftMs: number; normLatencyMsPerToken: number };
  arms: Record<ArmName, ArmReport>;
  comparison: Record<ComparedMetric, MetricComparison>;
  /**
   * In an A/A mode: the largest relative difference per metric that is consistent with the data
   * (max of |relativeDiff| and the interval's bounds over the control mean). Pass it as
   * `abTest.noiseFloor` to a later A/B run. Null outside A/A modes.
   */
  noiseFloor: Record<ComparedMetric, number> | null;
}

function summarise(values: number[], seed: number): MetricSummary {
  values.sort((a, b) => a - b);
  return {
    n: values.length,
    mean: mean(values),
    meanCi: bootstrapMean(values, seed),
    p50: quantileSorted(values, 0.5),
    p90: quantileSorted(values, 0.9),
    p99: quantileSorted(values, 0.99),
  };
}

function samples(
  records: readonly AgentRunRecord[],
  metric: Exclude<ComparedMetric, "sloAttainment">,
): number[] {
  const out: number[] = [];
  for (const r of records) {
    const v = r[metric];
    if (v !== null && Number.isFinite(v) && (metric === "queueWaitMs" || r.ok)) out.push(v);
  }
  return out;
}

function proportion(records: readonly AgentRunRecord[]): { value: number; ci: Interval } {
  const n = records.length;
  if (n === 0) return { value: Number.NaN, ci: { low: Number.NaN, high: Number.NaN } };
  const p = records.filter((r) => r.sloMet).length / n;
  const half = 1.96 * Math.sqrt((p * (1 - p)) / n);
  return { value: p, ci: { low: Math.max(0, p - half), high: Math.min(1, p + half) } };
}

function armReport(records: readonly AgentRunRecord[], treatment: Treatment): ArmReport {
  const completed = records.filter((r) => r.ok).length;
  const abandoned = records.filter((r) => r.outcome === "abandoned").length;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const r of records) {
    first = Math.min(first, r.arrivalMs);
    last = Math.max(last, r.arrivalMs);
  }
  const windowS = records.length > 1 ? Math.max(0.001, (last - first) / 1000) : Number.NaN;
  const slo = proportion(records);
  return {
    treatment,
    runs: records.length,
    completed,
    failed: records.length - completed - abandoned,
    abandoned,
    ttftMs: summarise(samples(records, "ttftMs"), 11),
    e2eMs: summarise(samples(records, "e2eMs"), 12),
    normLatencyMsPerToken: summarise(samples(records, "normLatencyMsPerToken"), 13),
    queueWaitMs: summarise(samples(records, "queueWaitMs"), 14),
    modelMs: summarise(
      records.filter((r) => r.ok).map((r) => r.modelMs),
      15,
    ),
    toolMs: summarise(
      records.filter((r) => r.ok).map((r) => r.toolMs),
      16,
    ),
    sloAttainment: slo,
    goodputPerS: records.filter((r) => r.sloMet).length / windowS,
  };
}

function floorOf(
  noiseFloor: number | Record<string, number> | undefined,
  metric: ComparedMetric,
): number | null {
  if (noiseFloor === undefined) return null;
  if (typeof noiseFloor === "number") return noiseFloor;
  return noiseFloor[metric] ?? null;
}

/** Builds the report from finished runs. */
export function buildReport(
  records: readonly AgentRunRecord[],
  settings: {
    mode: AbReport["mode"];
    fraction: number;
    slo: AbReport["slo"];
    treatments: Record<ArmName, Treatment>;
    noiseFloor?: number | Record<string, number>;
  },
): AbReport {
  const byArm: Record<ArmName, AgentRunRecord[]> = { control: [], treatment: [] };
  for (const r of records) byArm[r.arm].push(r);
  const arms = {
    control: armReport(byArm.control, settings.treatments.control),
    treatment: armReport(byArm.treatment, settings.treatments.treatment),
  };
  const comparison = {} as Record<ComparedMetric, MetricComparison>;
  for (const metric of COMPARED_METRICS) {
    let control: number;
    let treatment: number;
    let diffCi: Interval;
    if (metric === "sloAttainment") {
      control = arms.control.sloAttainment.value;
      treatment = arms.treatment.sloAttainment.value;
      const se = Math.sqrt(
        (control * (1 - control)) / Math.max(1, arms.control.runs) +
          (treatment * (1 - treatment)) / Math.max(1, arms.treatment.runs),
      );
      diffCi = { low: treatment - control - 1.96 * se, high: treatment - control + 1.96 * se };
    } else {
      const a = samples(byArm.control, metric);
      const b = samples(byArm.treatment, metric);
      control = mean(a);
      treatment = mean(b);
      diffCi = bootstrapMeanDiff(a, b, { seed: 7 });
    }
    const diff = treatment - control;
    const relativeDiff = control === 0 ? (diff === 0 ? 0 : Number.POSITIVE_INFINITY) : diff / control;
    const significant = diffCi.low > 0 || diffCi.high < 0;
    const noiseFloor = floorOf(settings.noiseFloor, metric);
    comparison[metric] = {
      control,
      treatment,
      diff,
      diffCi,
      relativeDiff,
      significant,
      noiseFloor,
      exceedsNoiseFloor: noiseFloor === null ? null : significant && Math.abs(relativeDiff) > noiseFloor,
    };
  }
  let noiseFloor: AbReport["noiseFloor"] = null;
  if (settings.mode === "aa-plain" || settings.mode === "aa-scheduled") {
    noiseFloor = {} as Record<ComparedMetric, number>;
    for (const metric of COMPARED_METRICS) {
      const c = comparison[metric];
      const scale = Math.abs(c.control) || 1;
      const bound = Math.max(
        Math.abs(c.relativeDiff),
        Math.abs(c.diffCi.low) / scale,
        Math.abs(c.diffCi.high) / scale,
      );
      noiseFloor[metric] = Number.isFinite(bound) ? bound : Number.NaN;
    }
  }
  return {
    mode: settings.mode,
    fraction: settings.fraction,
    slo: settings.slo,
    arms,
    comparison,
    noiseFloor,
  };
}
