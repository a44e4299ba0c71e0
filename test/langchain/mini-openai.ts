/**
 * A tiny OpenAI-compatible HTTP server on 127.0.0.1:0 for what the simulator does not do: failure injection
 * (status codes, delays, streams cut before their end), request capture (the bodies ChatOpenAI sends), and
 * answers in JSON for `response_format` (the simulator ignores it), and OpenAI's `/moderations` (never flagged). Tests of real scheduling use the simulator.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface MiniOpenAI {
  baseURL: string;
  bodies: Record<string, unknown>[];
  close(): Promise<void>;
}

export interface MiniOpenAIOptions {
  /** HTTP status to answer with (500 = a server error). @default 200 */
  status?: (attempt: number) => number;
  delayMs?: number;
  /** The answer's text for a request body. @default "hello from mini" */
  content?: (body: Record<string, unknown>) => string;
  /** Streams end after their content, without the finish chunk, the usage chunk and `[DONE]`. */
  truncateStreams?: boolean;
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of req) text += chunk;
  return JSON.parse(text || "{}") as Record<string, unknown>;
}

const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
  id: "c1",
  object: "chat.completion.chunk",
  created: 0,
  model: "m",
  choices: [{ index: 0, delta, finish_reason: finish }],
});

/** Splits text into three pieces (streamed as three deltas). */
function pieces(text: string): string[] {
  const third = Math.max(1, Math.ceil(text.length / 3));
  return [text.slice(0, third), text.slice(third, 2 * third), text.slice(2 * third)].filter((p) => p !== "");
}

export async function startMiniOpenAI(options: MiniOpenAIOptions = {}): Promise<MiniOpenAI> {
  const bodies: Record<string, unknown>[] = [];
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    if (req.url?.endsWith("/moderations")) {
      // OpenAI's moderation endpoint (for openAIModerationMiddleware): nothing is ever flagged.
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: "modr-1",
          model: "omni-moderation-latest",
          results: [{ flagged: false, categories: {}, category_scores: {} }],
        }),
      );
      return;
    }
    bodies.push(body);
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    const status = options.status?.(bodies.length) ?? 200;
    if (status !== 200) {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "injected failure", type: "server_error" } }));
      return;
    }
    const content = options.content?.(body) ?? "hello from mini";
    const usage = {
      prompt_tokens: 30,
      completion_tokens: 3,
      total_tokens: 33,
      prompt_tokens_details: { cached_tokens: 16 },
    };
    if (body.stream) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (const piece of pieces(content))
        res.write(`data: ${JSON.stringify(chunk({ role: "assistant", content: piece }, null))}\n\n`);
      if (options.truncateStreams) {
        res.end();
        return;
      }
      res.write(`data: ${JSON.stringify(chunk({}, "stop"))}\n\n`);
      res.write(
        `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 0, model: "m", choices: [], usage })}\n\n`,
      );
      res.end("data: [DONE]\n\n");
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        id: "c1",
        object: "chat.completion",
        created: 0,
        model: "m",
        choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
        usage,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
