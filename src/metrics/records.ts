/**
 * Per-run and per-call records: what every driver (virtual or live) writes down. The figures of DESIGN.md
 * section 5 computed from them (TTFT, E2E, NormLatency, met the SLO) are in `slo.ts`. Times are ms on the
 * driver's clock; the run's arrival is its origin for TTFT and E2E.
 */
import type { RunTimes } from "./slo.js";

/** One call (model generation request) of a run. */
export interface CallRecord {
  /** When the agent was ready to send the call (after the previous tool phase), ms. */
  submitMs: number;
  /**
   * When the server first worked on the call (its first prefill step), ms; `null` if never. The gap from
   * `submitMs` is the call's queue wait, client-side queue and server queue together, so that policies that
   * queue in the client and policies that queue in the server are measured alike.
   */
  startMs: number | null;
  /** When the call's first output token arrived, ms; `null` if never. */
  firstTokenMs: number | null;
  /** When the call's last token arrived (or it failed), ms; `null` if unfinished. */
  endMs: number | null;
  outputTokens: number;
}

/** One run (agent invocation): its {@link RunTimes}, which the run's figures and its SLO verdict come from, and its calls. */
export interface RunRecord extends RunTimes {
  id: string;
  className: string;
  calls: CallRecord[];
  /**
   * Set when overload shedding refused the run (`AugServeOverloadedError`): it ended, unserved, at `endMs`.
   * A refused run is an SLO miss in every metric.
   */
  refused?: boolean;
}
