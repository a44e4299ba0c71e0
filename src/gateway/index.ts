/**
 * The gateway (issue 15): the AugServe scheduler behind an OpenAI-compatible endpoint in front of several
 * replicas. See docs/gateway.md.
 */
export { GatewayOptionsError } from "./errors.js";
export { type RunHints, readHints } from "./hints.js";
export { type GatewayOptions, GatewayOptionsSchema, type ResolvedGatewayOptions } from "./options.js";
export { PLACEMENT_POLICIES, type PlacementPolicy } from "./placement/placer.js";
export type { GatewayRun, GatewayRunOutcome, IdentitySource } from "./runs.js";
export { type Gateway, type ReplicaStatus, startGateway } from "./server.js";
