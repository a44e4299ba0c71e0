/**
 * The client of `bench:shared`: each generated run as a real OpenAI-style conversation over HTTP (streamed
 * chat completions with tools, the tool phases slept for their scripted latency / time scale), admitted by a
 * real scheduler. Lighter than a LangChain agent (no graph, no callbacks), so that four processes carrying
 * `infercept-mix` above saturation fit on a 2-core machine; the scheduler is told the same things the
 * middleware tells it (Stage I from the predictor over the prompt and tools, the previous call's context as
 * the cached hint, server-reported usage), never the hidden script.
 */

import { toolResultText } from "../../ab/live/tools.js";
import { openCallRecord, openRunRecord } from "../../ab/run-records.js";
import { runObservation, runStartContext } from "../../ab/virtual/dispatch.js";
import type { CallRecord, RunRecord } from "../../metrics/index.js";
import { toRunEstimate } from "../../predict/estimate.js";
import type { PredictionContext, Predictor } from "../../predict/types.js";
import type { RunHandle, SchedulerApi, Slo } from "../../scheduler/types.js";
import type { GeneratedRun } from "../../workload/types.js";

interface ToolCallOut {
  id: string;
  name: string;
  arguments: string;
}

interface Reply {
  content: string;
  toolCalls: ToolCallOut[];
  promptTokens: number;
  outputTokens: number;
  cachedTokens: number;
}

/** What the client measured besides the run records: submit -> admit times of every call, wall ms. */
export interface ClientCounters {
  admitWaitsMs: number[];
  admitted: number;
}

/** Streams one chat completion and reports tokens as they arrive. */
async function complete(
  baseURL: string,
  body: object,
  charge: number,
  onToken: () => void,
  signal: AbortSignal,
): Promise<Reply> {
  const res = await fetch(`${baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-augserve-charge": String(charge) },
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
    signal,
  });
  if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const reply: Reply = { content: "", toolCalls: [], promptTokens: 0, outputTokens: 0, cachedTokens: 0 };
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of res.body) {
    buffer += decoder.decode(bytes as Uint8Array, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!event.startsWith("data: ") || event === "data: [DONE]") continue;
      const chunk = JSON.parse(event.slice(6)) as {
        choices?: {
          delta?: {
            content?: string;
            tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[];
          };
        }[];
        usage?: {
          prompt_tokens: number;
          completion_tokens: number;
          prompt_tokens_details?: { cached_tokens?: number };
        };
      };
      const delta = chunk.choices?.[0]?.delta;
      if (delta?.content) {
        reply.content += delta.content;
        onToken();
      }
      for (const t of delta?.tool_calls ?? []) {
        let call = reply.toolCalls[t.index];
        if (call === undefined) {
          call = { id: "", name: "", arguments: "" };
          reply.toolCalls[t.index] = call;
        }
        if (t.id) call.id = t.id;
        if (t.function?.name) call.name = t.function.name;
        if (t.function?.arguments) {
          call.arguments += t.function.arguments;
          onToken();
        }
      }
      if (chunk.usage) {
        reply.promptTokens = chunk.usage.prompt_tokens;
        reply.outputTokens = chunk.usage.completion_tokens;
        reply.cachedTokens = chunk.usage.prompt_tokens_details?.cached_tokens ?? 0;
      }
    }
  }
  return reply;
}

/** What `runConversation` is given: the scheduler and predictor, the server, the clock and the counters. */
export interface ConversationOptions {
  scheduler: SchedulerApi;
  predictor: Predictor;
  baseURL: string;
  timeScale: number;
  origin: number;
  slo: Slo;
  signal: AbortSignal;
  counters: ClientCounters;
}

/** One run's conversation as it goes: what it sends next and what the predictor will learn of it. */
interface Conversation {
  readonly run: GeneratedRun;
  readonly record: RunRecord;
  readonly handle: RunHandle;
  readonly tools: object[];
  readonly messages: object[];
  context: PredictionContext;
  readonly outputs: number[];
  readonly callsPerRound: number[];
  promptTokens: number;
  /** The previous call's prompt and output tokens: what the server has cached of the next prompt. */
  cachedHint: number;
}

/**
 * Runs `run` from its arrival (wall `origin` + arrival / T) to its final answer through `scheduler`; returns
 * its record in unscaled ms from `origin`.
 */
export async function runConversation(run: GeneratedRun, o: ConversationOptions): Promise<RunRecord> {
  const at = (wall: number) => (wall - o.origin) * o.timeScale;
  const wait = o.origin + run.arrivalMs / o.timeScale - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const c = beginConversation(run, o);
  try {
    for (let round = 0; round <= 64; round++) {
      const reply = await callModel(c, round, o);
      if (reply.toolCalls.length === 0) break;
      await toolPhase(c, round, reply, o);
    }
    c.record.endMs = at(performance.now());
    c.handle.end("ok");
    o.predictor.learnRun(
      { ...c.context, toolRoundsDone: 0 },
      runObservation(c.outputs.length - 1, c.callsPerRound, c.outputs),
    );
  } catch (error) {
    c.record.error = error instanceof Error ? error.message : String(error);
    c.record.endMs = o.signal.aborted ? null : at(performance.now());
    c.handle.end("error");
  }
  return c.record;
}

/** The run arrives: its record, its scheduler handle (Stage I from the prompt and tools), its first messages. */
function beginConversation(run: GeneratedRun, o: ConversationOptions): Conversation {
  const record = openRunRecord(run);
  const context = runStartContext(run, run.promptTokens);
  const handle = o.scheduler.beginRun({
    runId: run.id,
    features: { ...toRunEstimate(o.predictor.predict(context)), promptTokens: run.promptTokens },
    slo: o.slo,
  });
  const tools = run.tools.map((t) => ({
    type: "function",
    function: {
      name: t.name,
      description: t.description ?? t.name,
      parameters: t.parameters ?? { type: "object" },
    },
  }));
  const messages: object[] = [
    { role: "system", content: run.systemPrompt },
    { role: "user", content: run.userPrompt },
  ];
  return {
    run,
    record,
    handle,
    tools,
    messages,
    context,
    outputs: [],
    callsPerRound: [],
    promptTokens: run.promptTokens,
    cachedHint: 0,
  };
}

/** One model call through the scheduler: admitted, streamed, its usage reported; returns the reply. */
async function callModel(c: Conversation, round: number, o: ConversationOptions): Promise<Reply> {
  const at = (wall: number) => (wall - o.origin) * o.timeScale;
  const call: CallRecord = openCallRecord(at(performance.now()));
  c.record.calls.push(call);
  const submitted = performance.now();
  const reply = await c.handle.call(
    { promptTokens: c.promptTokens, ...(round > 0 ? { cachedPromptTokens: c.cachedHint } : {}) },
    async (ctx) => {
      o.counters.admitted++;
      o.counters.admitWaitsMs.push(performance.now() - submitted);
      call.startMs = at(performance.now());
      const r = await complete(
        o.baseURL,
        { model: "sim", messages: c.messages, tools: c.tools },
        ctx.charge ?? 0,
        () => {
          if (call.firstTokenMs === null) {
            call.firstTokenMs = at(performance.now());
            c.record.firstTokenMs ??= call.firstTokenMs;
            ctx.onFirstToken();
          }
          ctx.onTokens(1);
        },
        o.signal,
      );
      ctx.setResult({
        outputTokens: r.outputTokens,
        promptTokens: r.promptTokens,
        cachedPromptTokens: r.cachedTokens,
      });
      return r;
    },
    { signal: o.signal },
  );
  call.endMs = at(performance.now());
  call.outputTokens = reply.outputTokens;
  c.record.outputTokens += reply.outputTokens;
  c.outputs.push(reply.outputTokens);
  return reply;
}

/**
 * The tool phase after a reply that called tools: the scripted latency of the round's slowest call, results of
 * the scripted size; then the next prompt and the run's estimate.
 */
async function toolPhase(
  c: Conversation,
  round: number,
  reply: Reply,
  o: ConversationOptions,
): Promise<void> {
  const T = o.timeScale;
  c.messages.push({
    role: "assistant",
    content: reply.content,
    tool_calls: reply.toolCalls.map((t) => ({
      id: t.id,
      type: "function",
      function: { name: t.name, arguments: t.arguments },
    })),
  });
  const scripted = c.run.script.rounds[round]?.calls ?? [];
  const latencyMs = Math.max(0, ...scripted.map((s) => s.latencyMs));
  const parkedAt = performance.now();
  c.handle.park({ tools: reply.toolCalls.map((t) => t.name) });
  await new Promise((r) => setTimeout(r, latencyMs / T));
  c.handle.unpark();
  c.record.toolTimeMs += (performance.now() - parkedAt) * T;
  let added = 0;
  reply.toolCalls.forEach((t, i) => {
    const text = toolResultText(scripted[i]?.resultTokens ?? 8);
    added += scripted[i]?.resultTokens ?? 8;
    c.messages.push({ role: "tool", tool_call_id: t.id, content: text });
  });
  const measuredMs = (performance.now() - parkedAt) * T;
  for (const t of reply.toolCalls) o.predictor.learnToolLatency(t.name, measuredMs);
  c.callsPerRound.push(reply.toolCalls.length);
  c.cachedHint = reply.promptTokens + reply.outputTokens;
  c.promptTokens = c.cachedHint + added;
  c.context = { ...c.context, toolRoundsDone: round + 1 };
  c.handle.updateEstimate(toRunEstimate(o.predictor.predict(c.context)));
}
