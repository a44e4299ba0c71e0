/**
 * Reading a JSON request body within documented limits, cheapest check first: the declared length
 * (`content-length`), the bytes as they arrive, the nesting depth of the JSON text (one linear scan, before
 * `JSON.parse` and long before anything recursive such as `JSON.stringify(tools)` or a schema walk), then
 * `JSON.parse`. Every failure is a {@link WireRequestError}: the caller answers it, nothing throws past it.
 */
import type { IncomingMessage } from "node:http";
import { z } from "zod";
import { WireRequestError } from "./errors.js";

/** Default largest request body, bytes (4 MiB: a 128k-token conversation with its tool schemas fits). */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Default deepest nesting of a JSON body (objects and arrays); the top-level object is depth 1. */
export const DEFAULT_MAX_JSON_DEPTH = 64;
/**
 * The most `maxJsonDepth` may allow. V8's recursive `JSON.stringify` overflows its stack at a few thousand
 * levels (measured on Node 20: fine at 2,000, overflow at 5,000), less inside deep call frames.
 */
export const MAX_JSON_DEPTH = 512;

/**
 * The body limits of every server of the project, to spread into its strict options schema (one source of
 * the fields, their bounds and defaults).
 */
export const WireLimitsShape = {
  /** Largest request body, bytes. 1 <= bytes <= 1 GiB. @default 4 MiB */
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .max(1 << 30)
    .default(DEFAULT_MAX_BODY_BYTES),
  /** Deepest nesting of a JSON body (objects and arrays; the body itself is depth 1). 1..512. @default 64 */
  maxJsonDepth: z.number().int().min(1).max(MAX_JSON_DEPTH).default(DEFAULT_MAX_JSON_DEPTH),
};

export interface BodyLimits {
  maxBodyBytes: number;
  maxJsonDepth: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * The offset of the first byte at which the JSON text `bytes` nests deeper than `maxDepth`, or -1. Strings
 * are skipped (escapes honoured); the text need not be valid JSON (`JSON.parse` judges that afterwards). UTF-8
 * is scanned as bytes: quotes, backslashes and brackets are ASCII and never occur inside a multi-byte
 * sequence. O(bytes), no allocation.
 */
export function findExcessNesting(bytes: Uint8Array, maxDepth: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) {
      inString = true;
    } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > maxDepth) return i;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      depth--;
    }
  }
  return -1;
}

/**
 * Reads the whole body of `req`, at most `maxBodyBytes`. Rejects with a {@link WireRequestError} when the
 * declared or actual length is over the limit (the rest is not buffered), or when the client goes away
 * before the end.
 */
export function readBody(req: IncomingMessage, maxBodyBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    new WireRequestError(400, `Expected a request body of at most ${maxBodyBytes} bytes, got more`, {
      code: "body_too_large",
    });
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBodyBytes) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (error: WireRequestError) => {
      if (settled) return;
      settled = true;
      parts.length = 0;
      reject(error);
    };
    req.on("data", (part: Buffer) => {
      if (settled) return;
      size += part.length;
      if (size > maxBodyBytes) fail(tooLarge());
      else parts.push(part);
    });
    req.on("end", () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(parts, size));
    });
    // An aborted upload emits "error" (and "close" without "end"); nobody is left to answer.
    const gone = () =>
      fail(new WireRequestError(400, "The client closed the request body", { code: "aborted" }));
    req.on("error", gone);
    req.on("close", () => {
      if (!req.complete) gone();
    });
  });
}

/** Parses a JSON body after checking its nesting depth (see {@link findExcessNesting}). */
export function parseJsonBody(raw: Uint8Array, maxJsonDepth: number): unknown {
  const at = findExcessNesting(raw, maxJsonDepth);
  if (at >= 0) {
    throw new WireRequestError(
      400,
      `Expected JSON nested at most ${maxJsonDepth} levels deep, got deeper (at byte ${at})`,
      { code: "json_too_deep" },
    );
  }
  try {
    return JSON.parse(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("utf8"));
  } catch (error) {
    throw new WireRequestError(400, `Expected a JSON body: ${(error as Error).message}`, {
      code: "invalid_json",
    });
  }
}
