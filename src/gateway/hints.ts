/**
 * What a request says about its run in headers: its id (`x-augserve-run-id`, or vLLM production-stack's
 * `x-session-id`), its service class (`x-augserve-priority`), its TTFT target (`x-augserve-slo-ttft-ms`) and
 * a tenant key for fair sharing. Validated: a bad value is a 400 that names the header.
 */

import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { PriorityClass } from "../scheduler/types.js";
import { MAX_TIMER_MS } from "../util/index.js";
import { WireRequestError } from "../wire/errors.js";
import { unauthorizedError } from "./errors.js";

/** Run hints of one request. */
export interface RunHints {
  /** Explicit run id, if the client named one. */
  runId?: string;
  priorityClass?: PriorityClass;
  ttftMs?: number;
  tenant?: string;
}

const ID = /^[\x21-\x7e]{1,256}$/;

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    throw new WireRequestError(400, `Expected one \`${name}\` header, got ${value.length}`, {
      param: name,
      code: "invalid_header",
    });
  }
  return value;
}

function bad(name: string, expected: string, got: string): WireRequestError {
  const shown = got.length > 40 ? `${got.slice(0, 37)}...` : got;
  return new WireRequestError(
    400,
    `Invalid header \`${name}\`: expected ${expected}, got ${JSON.stringify(shown)}`,
    {
      param: name,
      code: "invalid_header",
    },
  );
}

/**
 * Reads the hints. `sessionId` is the body's `session_id` field, when a string (vLLM's alternative to the
 * header). @throws WireRequestError (400) naming the bad header.
 */
export function readHints(headers: IncomingHttpHeaders, tenantHeader: string, sessionId?: unknown): RunHints {
  const hints: RunHints = {};
  for (const name of ["x-augserve-run-id", "x-session-id"]) {
    const value = single(headers, name);
    if (value === undefined) continue;
    if (!ID.test(value)) throw bad(name, "1-256 visible ASCII characters", value);
    hints.runId = value;
    break;
  }
  if (hints.runId === undefined && typeof sessionId === "string" && ID.test(sessionId))
    hints.runId = sessionId;
  const priority = single(headers, "x-augserve-priority");
  if (priority !== undefined) {
    if (priority !== "interactive" && priority !== "background")
      throw bad("x-augserve-priority", '"interactive" or "background"', priority);
    hints.priorityClass = priority;
  }
  const ttft = single(headers, "x-augserve-slo-ttft-ms");
  if (ttft !== undefined) {
    const ms = Number(ttft);
    if (ttft.trim() === "" || !Number.isFinite(ms) || ms <= 0 || ms > MAX_TIMER_MS)
      throw bad("x-augserve-slo-ttft-ms", `a number of ms in (0, ${MAX_TIMER_MS}]`, ttft);
    hints.ttftMs = ms;
  }
  const tenant = single(headers, tenantHeader);
  if (tenant !== undefined) {
    if (!ID.test(tenant)) throw bad(tenantHeader, "1-256 visible ASCII characters", tenant);
    hints.tenant = tenant;
  }
  return hints;
}

/**
 * Checks `Authorization: Bearer KEY` against the accepted keys in constant time (keys are compared as
 * SHA-256 digests, so neither their length nor a common prefix shows in the timing). No keys: open.
 */
export class ClientAuth {
  readonly #digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.#digests = keys.map(digest);
  }

  /** @throws WireRequestError (401) when a key is required and not given. */
  check(headers: IncomingHttpHeaders): void {
    if (this.#digests.length === 0) return;
    const header = headers.authorization;
    const match = typeof header === "string" ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const given = digest(match?.[1] ?? "");
    let ok = false;
    // Every key is compared, whichever matches, so the time does not say which one did.
    for (const key of this.#digests) ok = timingSafeEqual(key, given) || ok;
    if (!ok || match === null) throw unauthorizedError();
  }
}

function digest(key: string): Buffer {
  return createHash("sha256").update(key).digest();
}
