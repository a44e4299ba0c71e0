/**
 * HTTP plumbing shared by the project's OpenAI-compatible servers: JSON answers, and reading a chat-completion
 * body (size limit, JSON, schema) with OpenAI-style 400 errors.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type ChatCompletionBody, type chatCompletionBodySchema, errorBody } from "./schema.js";

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/**
 * Reads and validates a `POST /v1/chat/completions` body; calls `onBody` with it, or answers 400 (body over
 * `maxBodyBytes`, invalid JSON, schema violation) and never calls it.
 */
export function readChatCompletionBody(
  req: IncomingMessage,
  res: ServerResponse,
  limits: { maxBodyBytes: number; schema: ReturnType<typeof chatCompletionBodySchema> },
  onBody: (body: ChatCompletionBody) => void,
): void {
  const parts: Buffer[] = [];
  let size = 0;
  let rejected = false;
  req.on("data", (part: Buffer) => {
    if (rejected) return;
    size += part.length;
    if (size > limits.maxBodyBytes) {
      rejected = true;
      res.setHeader("connection", "close");
      sendJson(
        res,
        400,
        errorBody(
          `Expected a request body of at most ${limits.maxBodyBytes} bytes, got more`,
          null,
          "body_too_large",
        ),
      );
      return;
    }
    parts.push(part);
  });
  req.on("end", () => {
    if (rejected) return;
    let json: unknown;
    try {
      json = JSON.parse(Buffer.concat(parts).toString("utf8"));
    } catch (error) {
      sendJson(
        res,
        400,
        errorBody(`Expected a JSON body: ${(error as Error).message}`, null, "invalid_json"),
      );
      return;
    }
    const body = limits.schema.safeParse(json);
    if (!body.success) {
      const issue = body.error.issues[0];
      const param = issue?.path.join(".") || null;
      sendJson(
        res,
        400,
        errorBody(`Invalid request: ${param ?? "body"}: ${issue?.message}`, param, "invalid_value"),
      );
      return;
    }
    onBody(body.data);
  });
}

/**
 * `POST /v1/chat/completions`: reads and validates the body, then hands it to `handle`. An error that
 * `isRequestError` recognises (a prompt the server cannot take) becomes a 400 `context_length_exceeded`;
 * anything else is a bug and propagates.
 */
export function chatCompletionRoute(
  limits: { maxBodyBytes: number; schema: ReturnType<typeof chatCompletionBodySchema> },
  handle: (body: ChatCompletionBody, res: ServerResponse) => void,
  isRequestError: (error: unknown) => error is Error,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) =>
    readChatCompletionBody(req, res, limits, (body) => {
      try {
        handle(body, res);
      } catch (error) {
        if (!isRequestError(error)) throw error;
        sendJson(res, 400, errorBody(error.message, "messages", "context_length_exceeded"));
      }
    });
}

/** The routes every OpenAI-compatible server of the project answers, besides its own chat completions. */
export interface OpenAIRoutes {
  /** `POST /v1/chat/completions`. */
  onCompletion(req: IncomingMessage, res: ServerResponse): void;
  /** The served model's `/v1/models` entry. */
  model: Record<string, unknown>;
  /** `GET /metrics` in Prometheus text format. */
  registry: { metrics(): Promise<string>; contentType: string };
  /** Body of `GET /health`; absent: an empty 200, as vLLM answers. */
  healthBody?: unknown;
}

/** The request listener of an OpenAI-compatible server: the routes above, and a JSON 404 for anything else. */
export function openAIRequestListener(
  routes: OpenAIRoutes,
): (req: IncomingMessage, res: ServerResponse) => void {
  const models = { object: "list", data: [routes.model] };
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "POST" && path === "/v1/chat/completions") return routes.onCompletion(req, res);
    if (req.method === "GET" && path === "/health") {
      if (routes.healthBody === undefined) return void res.writeHead(200).end();
      return sendJson(res, 200, routes.healthBody);
    }
    if (req.method === "GET" && path === "/v1/models") return sendJson(res, 200, models);
    if (req.method === "GET" && path === "/metrics") {
      routes.registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": routes.registry.contentType }).end(text),
        (error: Error) => sendJson(res, 500, errorBody(error.message, null, null, "internal_error")),
      );
      return;
    }
    req.resume();
    sendJson(res, 404, errorBody(`No route ${req.method} ${path}`, null, "not_found", "not_found_error"));
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
