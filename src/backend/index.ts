/** Backend helpers: Prometheus parsing, server-metrics probes and the metrics poller. */
export { type Logger, MetricsPoller, type MetricsPollerOptions, type PollOutcome } from "./poller.js";
export { METRIC_NAMES, type MetricNames, type ProbeResult, probeSignals, type ServerKind } from "./probes.js";
export { type PrometheusSample, type PrometheusSamples, parsePrometheusText } from "./prometheus.js";
export {
  EventLoopLagMonitor,
  type EventLoopLagOptions,
  EventLoopLagOptionsError,
} from "./event-loop-lag.js";
