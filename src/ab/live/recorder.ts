/**
 * What live mode writes down per run and per call, on the wall clock, converted to the metrics' records
 * (`RunRecord`, `CallRecord` of src/metrics) in unscaled ms from the start of the arrival window.
 *
 * - `submit`: the agent is ready to send the call (outermost `wrapModelCall`, before any admission wait);
 * - `sent`: the chat model starts the request (`handleLLMStart`, after admission);
 * - `start`: the server first works on it. With the embedded simulator this is the first engine step that
 *   includes the request (seen by `EngineTap`); with a remote server it cannot be seen, and `sent` stands in
 *   (so queue wait is the client-side wait only);
 * - `firstToken`: the first streamed chunk (`handleLLMNewToken`, an awaited handler, so timed on arrival);
 * - `end`: the response is complete.
 */
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { AIMessage } from "@langchain/core/messages";
import { createMiddleware } from "langchain";
import type { CallRecord, RunRecord } from "../../metrics/index.js";
import type { GeneratedRun } from "../../workload/types.js";

/** One call, wall ms (`performance.now()`). */
interface WallCall {
  submit: number;
  sent: number | null;
  firstToken: number | null;
  end: number | null;
  outputTokens: number;
  /** The server's completion id (`chatcmpl-...`), to find the engine's start time. */
  completionId: string | undefined;
}

/** Records one run of the live bench. */
export class RunRecorder {
  readonly run: GeneratedRun;
  /** Wall time the run was due to arrive (its scheduled arrival, so that timer lag counts against it). */
  arrival = 0;
  end: number | null = null;
  error: string | undefined;
  /** Overload shedding refused the run (`AugServeOverloadedError`): a miss, counted apart from errors. */
  refused = false;
  readonly calls: WallCall[] = [];

  constructor(run: GeneratedRun) {
    this.run = run;
  }

  get #current(): WallCall | undefined {
    return this.calls.at(-1);
  }

  callSubmitted(now: number): void {
    this.calls.push({
      submit: now,
      sent: null,
      firstToken: null,
      end: null,
      outputTokens: 0,
      completionId: undefined,
    });
  }

  callSent(now: number): void {
    const c = this.#current;
    if (c !== undefined && c.sent === null) c.sent = now;
  }

  firstToken(now: number): void {
    const c = this.#current;
    if (c !== undefined && c.firstToken === null) c.firstToken = now;
  }

  callEnded(now: number, message: AIMessage | undefined): void {
    const c = this.#current;
    if (c === undefined) return;
    c.end = now;
    const usage = message?.usage_metadata;
    c.outputTokens = usage?.output_tokens ?? 0;
    c.completionId = typeof message?.id === "string" ? message.id : undefined;
  }

  /**
   * The run as the metrics read it: unscaled ms since `origin` (wall ms x `timeScale`). `startOf` gives the
   * server's start time of a completion (wall ms) when known. Tool time is the sum of the gaps between a
   * call's end and the next call's submission (DESIGN.md: the tool phase is the time between them).
   */
  toRecord(origin: number, timeScale: number, startOf: (id: string) => number | undefined): RunRecord {
    const t = (wall: number | null) => (wall === null ? null : (wall - origin) * timeScale);
    const calls: CallRecord[] = this.calls.map((c) => ({
      submitMs: t(c.submit) as number,
      startMs: t((c.completionId === undefined ? undefined : startOf(c.completionId)) ?? c.sent),
      firstTokenMs: t(c.firstToken),
      endMs: t(c.end),
      outputTokens: c.outputTokens,
    }));
    let toolWall = 0;
    for (let i = 1; i < this.calls.length; i++) {
      const prev = this.calls[i - 1]?.end;
      if (prev !== null && prev !== undefined) toolWall += (this.calls[i] as WallCall).submit - prev;
    }
    return {
      id: this.run.id,
      className: this.run.className,
      arrivalMs: t(this.arrival) as number,
      firstTokenMs: calls[0]?.firstTokenMs ?? null,
      endMs: t(this.end),
      toolTimeMs: toolWall * timeScale,
      outputTokens: calls.reduce((sum, c) => sum + c.outputTokens, 0),
      calls,
      ...(this.error === undefined ? {} : { error: this.error }),
      ...(this.refused ? { refused: true } : {}),
    };
  }
}

function hasToolCallChunk(chunk: unknown): boolean {
  const message = (chunk as { message?: { tool_call_chunks?: unknown[] } } | undefined)?.message;
  return (message?.tool_call_chunks?.length ?? 0) > 0;
}

/** Times the model requests of one run: when each was sent and when its first chunk came. Pass it as the
 * agent invocation's `callbacks`. */
export class RecorderCallbacks extends BaseCallbackHandler {
  override name = "augserve_live_recorder";
  /**
   * Asks LangChain to stream the model's response (as `streamMode: "messages"` does), so chunks are timed as
   * they arrive and the middleware's first-token observer is on. (`ChatOpenAI({ streaming: true })` instead
   * makes ChatOpenAI count tokens with tiktoken after each call, which downloads its tables.)
   */
  lc_prefer_streaming = true;
  // Awaited, so the time is taken when the chunk arrives rather than when a background queue gets to it.
  override awaitHandlers = true;
  readonly #recorder: RunRecorder;

  constructor(recorder: RunRecorder) {
    super();
    this.#recorder = recorder;
  }

  override handleChatModelStart(): void {
    this.#recorder.callSent(performance.now());
  }

  /**
   * The first chunk that carries output (text or a tool-call piece). The role-only chunk an OpenAI-compatible
   * stream opens with carries none; the simulator sends it as soon as the request arrives, before any prefill.
   */
  override handleLLMNewToken(
    token: string,
    _idx?: unknown,
    _run?: unknown,
    _parent?: unknown,
    _tags?: unknown,
    fields?: { chunk?: unknown },
  ): void {
    if (token !== "" || hasToolCallChunk(fields?.chunk)) this.#recorder.firstToken(performance.now());
  }
}

/**
 * The outermost middleware of every live agent (all policies alike): marks when each model call is ready
 * and when it is done. It must come first in `middleware`, so that it wraps the scheduler's admission wait.
 */
export function recorderMiddleware(recorder: RunRecorder) {
  return createMiddleware({
    name: "augserve_live_recorder",
    wrapModelCall: async (request, handler) => {
      recorder.callSubmitted(performance.now());
      const response = await handler(request);
      recorder.callEnded(performance.now(), response as AIMessage);
      return response;
    },
  });
}
