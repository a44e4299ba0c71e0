/**
 * A tiny OpenAI-compatible HTTP server on 127.0.0.1:0 for failure injection and request capture (status
 * codes, delays, the request bodies ChatOpenAI sends). Tests of real scheduling use the simulator.
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
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of req) text += chunk;
  return JSON.parse(text || "{}") as Record<string, unknown>;
}

export async function startMiniOpenAI(options: MiniOpenAIOptions = {}): Promise<MiniOpenAI> {
  const bodies: Record<string, unknown>[] = [];
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    bodies.push(body);
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    const status = options.status?.(bodies.length) ?? 200;
    if (status !== 200) {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "injected failure", type: "server_error" } }));
      return;
    }
    const usage = {
      prompt_tokens: 30,
      completion_tokens: 3,
      total_tokens: 33,
      prompt_tokens_details: { cached_tokens: 16 },
    };
    if (body.stream) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (const word of ["hello", " from", " mini"]) {
        const delta = {
          id: "c1",
          object: "chat.completion.chunk",
          created: 0,
          model: "m",
          choices: [{ index: 0, delta: { role: "assistant", content: word }, finish_reason: null }],
        };
        res.write(`data: ${JSON.stringify(delta)}\n\n`);
      }
      res.write(
        `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 0, model: "m", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n`,
      );
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
        choices: [
          { index: 0, message: { role: "assistant", content: "hello from mini" }, finish_reason: "stop" },
        ],
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
