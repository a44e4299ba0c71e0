/**
 * The HTTP listener shared by the project's OpenAI-compatible servers (the simulator, the engine, the
 * gateway): JSON answers, the chat-completions route (body limits, JSON, schema) and the error boundary.
 *
 * The boundary: a route may throw or reject with anything. A {@link WireRequestError} becomes its 4xx JSON
 * answer; anything else is a bug, answered 500 with an `internal_error` body (and reported to
 * `onInternalError`), or, when the response has already started (a stream), ended by destroying the
 * connection so the client sees an incomplete response rather than a success. Nothing escapes a listener:
 * one bad request never takes the process down.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseWith } from "../util/index.js";
import { type BodyLimits, parseJsonBody, readBody } from "./body.js";
import { errorBody, WireRequestError } from "./errors.js";
import type { ChatCompletionBody, chatCompletionBodySchema } from "./schema.js";

/** A route: synchronous or asynchronous; whatever it throws is answered by the listener. */
export type Route = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  res.writeHead(status, { ...headers, "content-type": "application/json" }).end(JSON.stringify(body));
}

/** Receives errors that are bugs (not a client's bad request). */
export type InternalErrorHandler = (error: unknown, req: IncomingMessage) => void;

/**
 * The default report of a bug: one line on stderr with where it happened and the stack. Method and path
 * only: headers (keys) and bodies are never logged.
 */
export function reportInternalError(error: unknown, where: string): void {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  console.error(`augserve: internal error on ${where}: ${detail}`);
}

const reportToStderr: InternalErrorHandler = (error, req) =>
  reportInternalError(error, `${req.method} ${(req.url ?? "/").split("?")[0]}`);

/** Answers `error` on `res` as the boundary above says. Never throws. */
export function answerError(
  req: IncomingMessage,
  res: ServerResponse,
  error: unknown,
  onInternalError: InternalErrorHandler = reportToStderr,
): void {
  try {
    const known = error instanceof WireRequestError;
    if (!known) onInternalError(error, req);
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    // A request answered before its body was read: close the connection rather than drain an upload.
    if (!req.complete) res.setHeader("connection", "close");
    if (known) sendJson(res, error.status, error.toBody(), error.headers);
    else sendJson(res, 500, errorBody("Internal server error", null, "internal_error", "internal_error"));
  } catch {
    res.destroy();
  }
}

/**
 * Reads and validates a chat-completion body, in the order of {@link readBody} and
 * {@link parseJsonBody}, then the schema (400 naming the first field at fault).
 */
export async function readChatCompletionBody(
  req: IncomingMessage,
  limits: BodyLimits & { schema: ReturnType<typeof chatCompletionBodySchema> },
): Promise<{ body: ChatCompletionBody; raw: Buffer }> {
  const raw = await readBody(req, limits.maxBodyBytes);
  const json = parseJsonBody(raw, limits.maxJsonDepth);
  // The answer keeps zod's own message (no value quoted back to the client).
  const body = parseWith(limits.schema, json, (_, cause) => {
    const issue = cause.issues[0];
    const param = issue?.path.join(".") || null;
    return new WireRequestError(400, `Invalid request: ${param ?? "body"}: ${issue?.message}`, {
      param,
      code: "invalid_value",
      cause,
    });
  });
  return { body, raw };
}

/** What {@link chatCompletionRoute} is made of. */
export interface ChatCompletionRouteOptions {
  limits: BodyLimits & { schema: ReturnType<typeof chatCompletionBodySchema> };
  /**
   * Serves one validated request. `raw` is the body as it came (unknown fields and number spellings intact,
   * for a proxy). May throw before writing anything (see `contextLengthError`; other errors answer 500).
   */
  handle(body: ChatCompletionBody, res: ServerResponse, raw: Buffer): void | Promise<void>;
  /**
   * The server's error class for a prompt it cannot take (it does not fit the model length): `handle` throwing
   * one is answered `400 context_length_exceeded` (param `messages`), as OpenAI and vLLM answer.
   */
  contextLengthError?: abstract new (
    ...args: never[]
  ) => Error;
}

/** `POST /v1/chat/completions`: limits, JSON and schema first, then `handle`. */
export function chatCompletionRoute(options: ChatCompletionRouteOptions): Route {
  const tooLong = options.contextLengthError;
  return async (req, res) => {
    const { body, raw } = await readChatCompletionBody(req, options.limits);
    try {
      await options.handle(body, res, raw);
    } catch (error) {
      if (tooLong === undefined || !(error instanceof tooLong)) throw error;
      throw new WireRequestError(400, error.message, { param: "messages", code: "context_length_exceeded" });
    }
  };
}

/** The routes every OpenAI-compatible server of the project answers, besides its own chat completions. */
export interface OpenAIRoutes {
  /** `POST /v1/chat/completions`. */
  onCompletion: Route;
  /** The served model's `/v1/models` entry. */
  model: Record<string, unknown>;
  /** `GET /metrics` in Prometheus text format. */
  registry: { metrics(): Promise<string>; contentType: string };
  /** Body of `GET /health`; absent: an empty 200, as vLLM answers. */
  healthBody?: unknown;
  /** Where bugs are reported. @default one line on stderr (method, path, stack; never headers or bodies) */
  onInternalError?: InternalErrorHandler;
}

/**
 * The request listener of an OpenAI-compatible server: the routes above, a JSON 404 for anything else, and
 * the error boundary around all of them.
 */
export function openAIRequestListener(
  routes: OpenAIRoutes,
): (req: IncomingMessage, res: ServerResponse) => void {
  const models = { object: "list", data: [routes.model] };
  const dispatch: Route = (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "POST" && path === "/v1/chat/completions") return routes.onCompletion(req, res);
    if (req.method === "GET" && path === "/health") {
      if (routes.healthBody === undefined) return void res.writeHead(200).end();
      return sendJson(res, 200, routes.healthBody);
    }
    if (req.method === "GET" && path === "/v1/models") return sendJson(res, 200, models);
    if (req.method === "GET" && path === "/metrics") {
      return routes.registry
        .metrics()
        .then((text) => void res.writeHead(200, { "content-type": routes.registry.contentType }).end(text));
    }
    req.resume();
    throw new WireRequestError(404, `No route ${req.method} ${path}`, {
      code: "not_found",
      type: "not_found_error",
    });
  };
  return (req, res) => {
    const fail = (error: unknown) => answerError(req, res, error, routes.onInternalError);
    try {
      const pending = dispatch(req, res);
      if (pending !== undefined) pending.catch(fail);
    } catch (error) {
      fail(error);
    }
  };
}

/** Starts `server` listening and returns its port and base URL (`http://host:port`, IPv6 hosts bracketed). */
export async function listen(
  server: Server,
  port: number,
  host: string,
): Promise<{ port: number; url: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return { port: bound, url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}` };
}
