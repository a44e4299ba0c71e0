/**
 * AugServe.js: the AugServe scheduler for tool-using LangChain.js agents on self-hosted GPU servers.
 * The public API is re-exported from here as each part lands.
 */

export * from "./predict/index.js";
export * from "./scheduler/types.js";
export * from "./sim/index.js";
