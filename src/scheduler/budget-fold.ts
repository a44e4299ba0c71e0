/**
 * How the adaptive budget folds its samples into its state (src/scheduler/budget.ts): latencies per decision
 * interval, the median of recent token gaps and the run-long mean beside it, the server's own latencies, the
 * client's event-loop lag. Split from the control law so that each file stays about one thing.
 */
import type { AdaptiveState, BudgetSample } from "./budget.js";
import type { AdaptiveBudgetOptions } from "./options.js";
import type { ServerSignals } from "./types.js";

/**
 * Folds the interval's latencies into the EWMAs (one step per decision). Averaging per interval first makes the
 * EWMA a time average: a step-based server reports one sample per running stream per step, so a per-sample
 * EWMA would only remember the last step. Per-token latency is the interval's token-weighted median gap
 * (`tokenGapStatistic`, default) or mean: the mean counts every prefill chunk's step as a stall of every running
 * stream, which no budget relieves below saturation. While the server's own latencies are fresh
 * (`serverLatency: "prefer"`, newer than `serverStaleMs`) they replace the client's, folded once per scrape.
 */
export function foldInterval(
  state: AdaptiveState,
  options: AdaptiveBudgetOptions,
  since: number,
  now: number,
): void {
  const i = state.interval;
  const ewma = (old: number | null, value: number) =>
    old === null ? value : old + options.smoothing * (value - old);
  const lowest = (old: number | null, value: number) => (old === null || value < old ? value : old);
  const s = state.server;
  const trustServer = options.serverLatency === "prefer" && now - s.latencyAt <= options.serverStaleMs;
  const serverNew = trustServer && s.latencyAt > since;
  if (serverNew && s.ttftMs !== null) state.ttftMs = ewma(state.ttftMs, s.ttftMs);
  else if ((!trustServer || s.ttftMs === null) && i.ttftCount > 0)
    state.ttftMs = ewma(state.ttftMs, i.ttftSum / i.ttftCount);
  if (serverNew && s.tokenLatencyMs !== null)
    state.tokenLatencyMs = ewma(state.tokenLatencyMs, s.tokenLatencyMs);
  else if ((!trustServer || s.tokenLatencyMs === null) && i.tokens > 0) {
    // The median of an exponential window of gaps (weights decay by `smoothing` per decision, as the EWMA's):
    // a window of one interval (500 ms) can hold a single 2-s prefill step of a small GPU and nothing else.
    if (options.tokenGapStatistic === "median") state.tokenLatencyMs = i.gaps.quantile(0.5);
    else state.tokenLatencyMs = ewma(state.tokenLatencyMs, i.tokenMsSum / i.tokens);
  }
  if (i.tokens > 0) {
    // A window as long as a run's life (the SLO's normalised latency is a mean over the run): one prefill
    // burst that a run absorbs must not read as overload.
    const weight = Math.min(1, Math.max(options.intervalMs, 1) / options.stallWindowMs);
    const mean = i.tokenMsSum / i.tokens;
    const old = state.meanTokenLatencyMs;
    state.meanTokenLatencyMs = old === null ? mean : old + weight * (mean - old);
  }
  if (i.loneTtftCount > 0) state.minTtftMs = lowest(state.minTtftMs, i.loneTtftSum / i.loneTtftCount);
  if (i.loneTokens > 0)
    state.minTokenLatencyMs = lowest(state.minTokenLatencyMs, i.loneTokenMsSum / i.loneTokens);
  i.ttftSum = 0;
  i.ttftCount = 0;
  i.tokenMsSum = 0;
  i.tokens = 0;
  i.gaps.decay(1 - options.smoothing);
  i.loneTtftSum = 0;
  i.loneTtftCount = 0;
  i.loneTokenMsSum = 0;
  i.loneTokens = 0;
}

/**
 * Latency sums of one interval: TTFTs, and per-token gaps weighted by their tokens. The budget keeps them per
 * decision interval (`AdaptiveState.interval`); the fleet per sync (fleet/samples.ts), for its controller to
 * fold those of every process. Both add the same samples the same way, through {@link addTtft} and
 * {@link addTokenLatency}.
 */
export interface LatencySums {
  ttftSum: number;
  ttftCount: number;
  tokenMsSum: number;
  tokens: number;
}

/**
 * Adds the sample's TTFT, less `lagMs` (the client's own event-loop delay, in what it measured) and floored
 * at 0, to `sums`. Returns the ms added, or null when the TTFT is not a finite number >= 0 (ignored).
 */
export function addTtft(
  sums: LatencySums,
  sample: Extract<BudgetSample, { kind: "ttft" }>,
  lagMs = 0,
): number | null {
  if (!Number.isFinite(sample.ms) || sample.ms < 0) return null;
  const ms = Math.max(0, sample.ms - lagMs);
  sums.ttftSum += ms;
  sums.ttftCount += 1;
  return ms;
}

/**
 * Adds the sample's per-token gap, weighted by its tokens (1 when absent), to `sums`. Returns the weight, or
 * null when the gap is not a finite number >= 0 (ignored).
 */
export function addTokenLatency(
  sums: LatencySums,
  sample: Extract<BudgetSample, { kind: "tokenLatency" }>,
): number | null {
  const weight = sample.tokens !== undefined && sample.tokens > 0 ? sample.tokens : 1;
  if (!Number.isFinite(sample.msPerToken) || sample.msPerToken < 0 || !Number.isFinite(weight)) return null;
  sums.tokenMsSum += sample.msPerToken * weight;
  sums.tokens += weight;
  return weight;
}

/** Folds one sample into `next` (in place). */
export function foldSample(next: AdaptiveState, sample: BudgetSample, lone: boolean): void {
  const i = next.interval;
  switch (sample.kind) {
    case "ttft": {
      const ms = addTtft(i, sample, next.clientLagMs);
      if (ms !== null && lone) {
        i.loneTtftSum += ms;
        i.loneTtftCount += 1;
      }
      break;
    }
    case "tokenLatency": {
      const weight = addTokenLatency(i, sample);
      if (weight !== null) {
        i.gaps.add(sample.msPerToken, weight);
        if (lone) {
          i.loneTokenMsSum += sample.msPerToken * weight;
          i.loneTokens += weight;
        }
      }
      break;
    }
    case "error":
      next.errors += 1;
      break;
    case "server": {
      const s = sample.signals;
      const total = s.preemptionsTotal;
      if (total !== undefined && Number.isFinite(total)) {
        const previous = next.server.preemptionsTotal;
        if (previous !== null && total > previous) next.preemptions += total - previous;
        next.server.preemptionsTotal = total;
      }
      next.server.at = sample.at;
      next.server.waiting = finiteOr(s.waiting, 0);
      next.server.running = finiteOr(s.running, 0);
      next.server.kvCacheUsage = finiteOr(s.kvCacheUsage, 0);
      foldServerLatency(next, sample.at, s);
      break;
    }
    case "clientLag":
      if (Number.isFinite(sample.ms) && sample.ms >= 0) next.clientLagMs = sample.ms;
      break;
    case "tick":
      break;
  }
}

/** Keeps the server's own latencies of a scrape (histograms), when it exported any. */
function foldServerLatency(next: AdaptiveState, at: number, s: ServerSignals): void {
  const ttft = s.ttftMs !== undefined && Number.isFinite(s.ttftMs) && s.ttftMs >= 0 ? s.ttftMs : null;
  const token =
    s.tokenLatencyMs !== undefined && Number.isFinite(s.tokenLatencyMs) && s.tokenLatencyMs >= 0
      ? s.tokenLatencyMs
      : null;
  if (ttft === null && token === null) return;
  next.server.ttftMs = ttft;
  next.server.tokenLatencyMs = token;
  next.server.latencyAt = at;
}

function finiteOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) ? value : fallback;
}
