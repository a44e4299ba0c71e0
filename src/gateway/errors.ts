/**
 * Errors of the gateway, and the HTTP answers of the refusals it makes (429, 503).
 */
import type { ZodError } from "zod";
import { redactCredentials } from "../backend/redact.js";
import { AugServeError } from "../util/index.js";
import { WireRequestError } from "../wire/errors.js";

/** The options given to `startGateway` (or the `augserve gateway` flags) are invalid. */
export class GatewayOptionsError extends AugServeError {
  static override readonly code = "GATEWAY_OPTIONS";
  override readonly name = "GatewayOptionsError";
  /** Dotted path of the first bad field, e.g. `upstreams.1`. */
  readonly field: string;

  constructor(field: string, detail: string, cause?: ZodError) {
    // The detail quotes the value given: an upstream URL's credentials are masked.
    super(`Invalid gateway option \`${field || "(options)"}\`: ${redactCredentials(detail)}`, { cause });
    this.field = field;
  }
}

/** 503: no replica is healthy. */
export function noReplicaError(): WireRequestError {
  return new WireRequestError(503, "No upstream replica is healthy; try again shortly", {
    code: "no_healthy_upstream",
    type: "server_error",
    headers: { "retry-after": "1" },
  });
}

/** 429 with `Retry-After` (whole seconds, at least 1): the scheduler shed the run. */
export function overloadedError(message: string, retryAfterMs: number): WireRequestError {
  return new WireRequestError(429, message, {
    code: "overloaded",
    type: "rate_limit_error",
    headers: { "retry-after": String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
  });
}

/** 401: a key is required and the request had none or a wrong one. */
export function unauthorizedError(): WireRequestError {
  return new WireRequestError(401, "Expected `Authorization: Bearer <key>` with a key this gateway accepts", {
    code: "invalid_api_key",
    headers: { "www-authenticate": "Bearer" },
  });
}

/** 502: the replica failed and the request could not be retried. */
export function upstreamFailedError(detail: string): WireRequestError {
  return new WireRequestError(502, `Upstream replica failed: ${detail}`, {
    code: "upstream_failed",
    type: "server_error",
  });
}

/**
 * The `Content-Type` of a JSON body: `application/json`, parameters (`; charset=utf-8`) allowed. Anything else,
 * or none, is refused: `text/plain`, forms and typeless bodies are what a web page may POST cross-origin
 * without a CORS preflight, so accepting them would let any page a user opens drive the gateway.
 */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const semi = value.indexOf(";");
  return (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase() === "application/json";
}

/** 415: the body is not declared `application/json`. */
export function unsupportedMediaTypeError(): WireRequestError {
  return new WireRequestError(415, "Expected `Content-Type: application/json`", {
    param: "content-type",
    code: "unsupported_media_type",
  });
}
