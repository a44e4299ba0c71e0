/** Backend helpers: Prometheus parsing, server-metrics probes and the metrics poller. */

export {
  EventLoopLagMonitor,
  type EventLoopLagOptions,
  EventLoopLagOptionsError,
} from "./event-loop-lag.js";
export { type Logger, MetricsPoller, type MetricsPollerOptions, type PollOutcome } from "./poller.js";
export { METRIC_NAMES, type MetricNames, type ProbeResult, probeSignals, type ServerKind } from "./probes.js";
export { type PrometheusSample, type PrometheusSamples, parsePrometheusText } from "./prometheus.js";
export { redactCredentials, type SplitUrl, splitCredentials } from "./redact.js";
export { LATENCY_METRIC_NAMES, type LatencyMetricNames, ServerLatencyReader } from "./server-latency.js";
