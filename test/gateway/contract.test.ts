/**
 * The shared OpenAI HTTP contract against the gateway, in front of one simulator replica (the contract
 * reads per-server gauges; the gateway's are per replica). Multi-replica behaviour: gateway.int.test.ts.
 */
import { runOpenAIServerContract } from "../contract/openai-server.contract.js";
import { startFleet } from "./helpers.js";

runOpenAIServerContract("gateway (one simulator replica)", async () => {
  const fleet = await startFleet(1, {}, 200);
  return {
    baseURL: fleet.gateway.baseURL,
    metricsUrl: fleet.gateway.metricsUrl,
    registerScripts: (scripts) => fleet.register(scripts),
    // In-flight calls and tokens of replica 0's scheduler: both 0 once an aborted stream released its budget.
    metricNames: { running: "augserve_gateway_inflight_calls", kvUsage: "augserve_gateway_inflight_tokens" },
    close: () => fleet.close(),
  };
});
