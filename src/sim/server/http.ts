/**
 * HTTP plumbing shared by the project's OpenAI-compatible servers: JSON answers, and reading a chat-completion
 * body (size limit, JSON, schema) with OpenAI-style 400 errors.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
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
