/**
 * Sends one admitted call to a replica and relays the answer to the client as it arrives: SSE events are
 * forwarded as soon as each is complete (no buffering beyond one event), a whole JSON body as it came. The
 * client's response headers go out with the first event, so a replica that fails before its first token
 * can still be retried elsewhere; once bytes went out, a failure ends the stream with an OpenAI error event
 * (`data: {"error": ...}`), which the openai SDK and LangChain raise as an error, and nothing is retried.
 */

import { once } from "node:events";
import type { ServerResponse } from "node:http";
import type { Dispatcher } from "undici";
import type { CallContext } from "../scheduler/types.js";
import { AugServeError } from "../util/index.js";
import { SseEventTooLargeError, SseSplitter, sseEvent } from "../wire/sse.js";
import type { Replica } from "./replica.js";
import { ReplyObserver } from "./reply.js";

/** Largest non-streamed upstream answer relayed, bytes. */
const MAX_REPLY_BYTES = 64 * 1024 * 1024;

/** The replica failed. `retryable`: nothing reached the client yet. */
export class UpstreamError extends AugServeError {
  static override readonly code = "GATEWAY_UPSTREAM";
  override readonly name = "UpstreamError";
  readonly retryable: boolean;
  /** A connection-level failure (refused, reset, closed), as opposed to an HTTP error status. */
  readonly connection: boolean;
  /** The upstream's status and body, when it answered with an error status. */
  readonly status: number | undefined;
  readonly body: Buffer | undefined;
  readonly contentType: string | undefined;

  constructor(
    message: string,
    fields: {
      retryable: boolean;
      connection: boolean;
      status?: number;
      body?: Buffer;
      contentType?: string;
      cause?: unknown;
    },
  ) {
    super(message, { cause: fields.cause });
    this.retryable = fields.retryable;
    this.connection = fields.connection;
    this.status = fields.status;
    this.body = fields.body;
    this.contentType = fields.contentType;
  }
}

/**
 * The upstream refused the call with a 4xx, relayed to the client as it came. The scheduler counts a 429
 * as pressure (the call failed); other 4xx are the client's.
 */
export class UpstreamRefusedError extends AugServeError {
  static override readonly code = "GATEWAY_UPSTREAM_REFUSED";
  override readonly name = "UpstreamRefusedError";
  readonly status: number;
  constructor(status: number) {
    super(`Upstream answered ${status}`);
    this.status = status;
  }
}

export interface RelayRequest {
  replica: Replica;
  body: Buffer;
  stream: boolean;
  /** Drop usage-only chunks (the gateway asked for usage on the client's behalf). */
  stripUsage: boolean;
  headers: Record<string, string>;
  signal: AbortSignal;
  res: ServerResponse;
  ctx: CallContext | undefined;
  timeoutMs: number;
  /** Largest SSE event held while waiting for its end; past it the call fails (`maxSseEventBytes`). */
  maxEventBytes: number;
}

async function readLimited(body: Dispatcher.ResponseData["body"], limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of body) {
    size += (part as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new Error(`upstream answer larger than ${limit} bytes`);
    }
    parts.push(part as Buffer);
  }
  return Buffer.concat(parts, size);
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Ends a stream that already started with an OpenAI error event. */
function failStream(res: ServerResponse, message: string): void {
  if (res.destroyed || res.writableEnded) return;
  res.end(
    sseEvent(
      JSON.stringify({ error: { message, type: "server_error", param: null, code: "upstream_failed" } }),
    ),
  );
}

/** Relays one call; resolves with what was observed once the client has the whole answer. */
export async function relay(r: RelayRequest): Promise<ReplyObserver> {
  const observer = new ReplyObserver(r.ctx);
  let response: Dispatcher.ResponseData;
  try {
    response = await r.replica.pool.request({
      path: `${r.replica.pathPrefix}/v1/chat/completions`,
      method: "POST",
      headers: r.headers,
      body: r.body,
      signal: r.signal,
      headersTimeout: r.timeoutMs,
      bodyTimeout: r.timeoutMs,
    });
  } catch (error) {
    if (r.signal.aborted) throw r.signal.reason;
    throw new UpstreamError(`cannot reach replica ${r.replica.index}: ${(error as Error).message}`, {
      retryable: true,
      connection: true,
      cause: error,
    });
  }
  const status = response.statusCode;
  const contentType = headerText(response.headers["content-type"]);
  if (status !== 200) {
    let bytes: Buffer;
    try {
      bytes = await readLimited(response.body, 1024 * 1024);
    } catch (error) {
      if (r.signal.aborted) throw r.signal.reason;
      throw new UpstreamError(`replica ${r.replica.index} failed: ${(error as Error).message}`, {
        retryable: true,
        connection: true,
        cause: error,
      });
    }
    if (status >= 500) {
      throw new UpstreamError(`replica ${r.replica.index} answered ${status}`, {
        retryable: true,
        connection: false,
        status,
        body: bytes,
        ...(contentType === undefined ? {} : { contentType }),
      });
    }
    const retryAfter = headerText(response.headers["retry-after"]);
    r.res
      .writeHead(status, {
        "content-type": contentType ?? "application/json",
        ...(retryAfter === undefined ? {} : { "retry-after": retryAfter }),
      })
      .end(bytes);
    throw new UpstreamRefusedError(status);
  }
  return r.stream ? relayStream(r, response, observer) : relayBody(r, response, observer, contentType);
}

async function relayBody(
  r: RelayRequest,
  response: Dispatcher.ResponseData,
  observer: ReplyObserver,
  contentType: string | undefined,
): Promise<ReplyObserver> {
  let bytes: Buffer;
  try {
    bytes = await readLimited(response.body, MAX_REPLY_BYTES);
  } catch (error) {
    if (r.signal.aborted) throw r.signal.reason;
    throw new UpstreamError(`replica ${r.replica.index} failed mid-answer: ${(error as Error).message}`, {
      retryable: true,
      connection: true,
      cause: error,
    });
  }
  observer.body(bytes);
  r.ctx?.onFirstToken();
  r.res.writeHead(200, { "content-type": contentType ?? "application/json" }).end(bytes);
  return observer;
}

async function relayStream(
  r: RelayRequest,
  response: Dispatcher.ResponseData,
  observer: ReplyObserver,
): Promise<ReplyObserver> {
  const res = r.res;
  const splitter = new SseSplitter(r.maxEventBytes);
  let started = false;
  try {
    for await (const part of response.body) {
      const events = splitter.push(part as Buffer);
      if (events.length === 0) continue;
      const out = forwardedBytes(events, observer, r.stripUsage);
      observer.flushTokens();
      if (out.length === 0 || res.destroyed) continue;
      if (!started) {
        started = true;
        res.writeHead(200, STREAM_HEADERS);
      }
      let writable = true;
      for (const bytes of out) writable = res.write(bytes);
      if (!writable) await once(res, "drain", { signal: r.signal });
    }
  } catch (error) {
    if (r.signal.aborted) throw r.signal.reason;
    const message = `replica ${r.replica.index} failed mid-stream: ${(error as Error).message}`;
    if (started) failStream(res, message);
    // An oversized event is the replica's bad answer, not a broken connection: counted, not ejected at once.
    const connection = !(error instanceof SseEventTooLargeError);
    throw new UpstreamError(message, { retryable: !started, connection, cause: error });
  }
  observer.flushTokens(true);
  if (!observer.done) {
    const message = `replica ${r.replica.index} ended the stream without [DONE]`;
    if (started) failStream(res, message);
    throw new UpstreamError(message, { retryable: !started, connection: true });
  }
  res.end();
  return observer;
}

const STREAM_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  connection: "keep-alive",
} as const;

/**
 * The bytes to forward of one read's events, each observed on the way: events that lie back to back in
 * the same chunk are forwarded as one view of it (no copy, one write per read in the common case); only a
 * usage chunk the gateway asked for itself is left out.
 */
function forwardedBytes(events: readonly Buffer[], observer: ReplyObserver, stripUsage: boolean): Buffer[] {
  const out: Buffer[] = [];
  let run: Buffer | undefined;
  for (const event of events) {
    const usageOnly = observer.event(event);
    if (usageOnly && stripUsage) {
      if (run !== undefined) out.push(run);
      run = undefined;
      continue;
    }
    if (
      run !== undefined &&
      run.buffer === event.buffer &&
      run.byteOffset + run.length === event.byteOffset
    ) {
      run = Buffer.from(run.buffer, run.byteOffset, run.length + event.length);
    } else {
      if (run !== undefined) out.push(run);
      run = event;
    }
  }
  if (run !== undefined) out.push(run);
  return out;
}
