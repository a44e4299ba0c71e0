/**
 * The gateway (issue 15): the AugServe scheduler behind an OpenAI-compatible endpoint in front of several
 * replicas. See docs/gateway.md.
 */
export { GatewayOptionsError } from "./errors.js";
export { type RunHints, readHints } from "./hints.js";
export { type GatewayOptions, GatewayOptionsSchema, type ResolvedGatewayOptions } from "./options.js";
export { PLACEMENT_POLICIES, type PlacementPolicy, Placer, type ReplicaLoad } from "./placement/placer.js";
export { PrefixIndex, TOKEN_BLOCK_TOKENS, tokenBlockHashes } from "./placement/prefix-index.js";
export type { GatewayRun, GatewayRunOutcome, IdentitySource } from "./runs.js";
export { type Gateway, type ReplicaStatus, startGateway } from "./server.js";
