/** Placement over replicas (pure; used by the gateway and the multi-replica virtual bench). */
export * from "./placer.js";
export * from "./prefix-index.js";
