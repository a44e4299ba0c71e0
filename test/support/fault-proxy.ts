/**
 * A fault-injecting HTTP proxy on 127.0.0.1 in front of an OpenAI-compatible server (the simulator, an engine,
 * the gateway): each request is answered by the upstream, or by a fault a chooser picks for it. Real sockets
 * on both sides; the code under test is never mocked.
 *
 * Faults (per attempt):
 * - `status`: the proxy answers 500/429/503... itself (with `Retry-After` when given); the upstream never sees it.
 * - `reset`: forwards `afterEvents` SSE events (a non-streaming answer: nothing), then destroys the socket.
 * - `stall`: forwards `afterEvents` events, then holds the rest for `ms` (`Infinity`: until the client leaves).
 * - `truncate`: forwards `afterEvents` events, then ends the response cleanly, without `[DONE]` (a
 *   non-streaming answer: half its body).
 * The upstream request is aborted when the client leaves or a fault ends the response, so the upstream frees
 * what it held. Each attempt is recorded with the key of its call (a hash of the body: a retry sends the same
 * bytes) and the SDK's retry counter (`x-stainless-retry-count`) when present.
 */
import { createHash } from "node:crypto";
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from "node:http";
import { listen } from "../../src/wire/http.js";
import { SseSplitter } from "../../src/wire/sse.js";

export type Fault =
  | { kind: "pass" }
  | { kind: "status"; status: number; retryAfter?: string }
  | { kind: "reset"; afterEvents: number }
  | { kind: "stall"; afterEvents: number; ms: number }
  | { kind: "truncate"; afterEvents: number };

export interface Attempt {
  /** 0, 1, 2... in arrival order. */
  index: number;
  /** Hash of the request body: attempts of one call share it. */
  callKey: string;
  body: Buffer;
  headers: IncomingHttpHeaders;
}

export interface AttemptRecord {
  index: number;
  callKey: string;
  /** `x-stainless-retry-count` (the openai SDK's attempt number), if sent. */
  retryCount: string | undefined;
  fault: Fault;
  /** How the attempt ended, seen from the proxy. */
  outcome: "injected-status" | "completed" | "reset" | "truncated" | "client-left" | "upstream-error";
}

export type FaultChooser = (attempt: Attempt) => Fault;

export interface FaultProxy {
  /** `http://127.0.0.1:port` */
  url: string;
  /** `http://127.0.0.1:port/v1` */
  baseURL: string;
  /** Every attempt, in arrival order (an attempt appears once it has ended). */
  readonly attempts: readonly AttemptRecord[];
  /** Upstream requests still open. */
  readonly openUpstream: number;
  /** Replaces the chooser (for phases of a test). */
  setChooser(choose: FaultChooser): void;
  close(): Promise<void>;
}

const PASS: FaultChooser = () => ({ kind: "pass" });

/** Starts the proxy in front of `upstream` (`http://host:port`, no path). */
export async function startFaultProxy(upstream: string, choose: FaultChooser = PASS): Promise<FaultProxy> {
  const target = new URL(upstream);
  const attempts: AttemptRecord[] = [];
  let chooser = choose;
  let index = 0;
  let openUpstream = 0;

  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("error", () => res.destroy());
    req.on("end", () => {
      const body = Buffer.concat(parts);
      const attempt: Attempt = {
        index: index++,
        callKey: createHash("sha256").update(body).digest("hex").slice(0, 16),
        body,
        headers: req.headers,
      };
      const fault = chooser(attempt);
      const record = (outcome: AttemptRecord["outcome"]) =>
        attempts.push({
          index: attempt.index,
          callKey: attempt.callKey,
          retryCount: req.headers["x-stainless-retry-count"] as string | undefined,
          fault,
          outcome,
        });
      if (fault.kind === "status") {
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (fault.retryAfter !== undefined) headers["retry-after"] = fault.retryAfter;
        res.writeHead(fault.status, headers).end(
          JSON.stringify({
            error: { message: `injected ${fault.status}`, type: "server_error", param: null, code: null },
          }),
        );
        record("injected-status");
        return;
      }
      forward(req.method ?? "POST", req.url ?? "/", req.headers, body, res, fault, record);
    });
  });

  function forward(
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
    res: ServerResponse,
    fault: Fault,
    record: (outcome: AttemptRecord["outcome"]) => void,
  ): void {
    let ended = false;
    const end = (outcome: AttemptRecord["outcome"], how: "end" | "destroy") => {
      if (ended) return;
      ended = true;
      clearTimeout(stallTimer);
      upstreamReq.destroy();
      record(outcome);
      if (how === "end") return void res.end();
      // What was forwarded reaches the client first: the connection drops after the events before it.
      if (res.destroyed || !res.headersSent) return void res.destroy();
      res.write("", () => res.destroy());
    };
    let stallTimer: NodeJS.Timeout | undefined;
    const { host: _host, connection: _connection, ...rest } = headers;
    openUpstream++;
    const upstreamReq = request(
      { host: target.hostname, port: target.port, method, path, headers: { ...rest, host: target.host } },
      (upstreamRes) => {
        const streaming = String(upstreamRes.headers["content-type"]).startsWith("text/event-stream");
        const { "content-length": length, ...answerHeaders } = upstreamRes.headers;
        // A truncated body must not announce its full length (the client would wait for the rest).
        if (!(fault.kind === "truncate" && !streaming) && length !== undefined)
          answerHeaders["content-length"] = length;
        res.writeHead(upstreamRes.statusCode ?? 502, answerHeaders);
        const afterEvents = "afterEvents" in fault ? fault.afterEvents : Number.POSITIVE_INFINITY;
        if (!streaming) return forwardBody(upstreamRes, res, fault, end);
        const splitter = new SseSplitter();
        const held: Buffer[] = [];
        let sent = 0;
        let stalled = false;
        const release = () => {
          stalled = false;
          for (const event of held.splice(0)) res.write(event);
        };
        upstreamRes.on("data", (bytes: Buffer) => {
          if (ended) return;
          for (const event of splitter.push(bytes)) {
            if (stalled) {
              held.push(event);
              continue;
            }
            if (sent >= afterEvents) {
              if (fault.kind === "reset") return end("reset", "destroy");
              if (fault.kind === "truncate") return end("truncated", "end");
              if (fault.kind === "stall") {
                stalled = true;
                held.push(event);
                if (Number.isFinite(fault.ms)) stallTimer = setTimeout(release, fault.ms);
                continue;
              }
            }
            res.write(event);
            sent++;
          }
        });
        upstreamRes.on("end", () => {
          if (stalled) {
            // Deliver the end after the stall, as a server that resumes would.
            const finish = () => {
              release();
              end("completed", "end");
            };
            if (Number.isFinite((fault as { ms: number }).ms)) {
              clearTimeout(stallTimer);
              stallTimer = setTimeout(finish, (fault as { ms: number }).ms);
            }
            return;
          }
          end("completed", "end");
        });
        upstreamRes.on("error", () => end("upstream-error", "destroy"));
      },
    );
    upstreamReq.on("close", () => openUpstream--);
    upstreamReq.on("error", () => end("upstream-error", "destroy"));
    res.on("close", () => end("client-left", "destroy"));
    upstreamReq.end(body);
  }

  function forwardBody(
    upstreamRes: IncomingMessage,
    res: ServerResponse,
    fault: Fault,
    end: (outcome: AttemptRecord["outcome"], how: "end" | "destroy") => void,
  ): void {
    const parts: Buffer[] = [];
    upstreamRes.on("data", (part: Buffer) => parts.push(part));
    upstreamRes.on("error", () => end("upstream-error", "destroy"));
    upstreamRes.on("end", () => {
      const body = Buffer.concat(parts);
      if (fault.kind === "reset") {
        res.destroy(); // before the headers: the client sees a dropped connection, no response
        return end("reset", "destroy");
      }
      if (fault.kind === "truncate") {
        res.write(body.subarray(0, body.length >> 1));
        return end("truncated", "end");
      }
      const deliver = () => {
        res.write(body);
        end("completed", "end");
      };
      if (fault.kind === "stall") {
        if (Number.isFinite(fault.ms)) setTimeout(deliver, fault.ms);
        return;
      }
      deliver();
    });
  }

  const { url } = await listen(server, 0, "127.0.0.1");
  return {
    url,
    baseURL: `${url}/v1`,
    attempts,
    get openUpstream() {
      return openUpstream;
    },
    setChooser(next) {
      chooser = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
