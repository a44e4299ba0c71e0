/**
 * The client of `bench:shared`: each generated run as a real OpenAI-style conversation over HTTP (streamed
 * chat completions with tools, the tool phases slept for their scripted latency / time scale), admitted by a
 * real scheduler. Lighter than a LangChain agent (no graph, no callbacks), so that four processes carrying
 * `infercept-mix` above saturation fit on a 2-core machine; the scheduler is told the same things the
 * middleware tells it (Stage I from the predictor over the prompt and tools, the previous call's context as
 * the cached hint, server-reported usage), never the hidden script.
 */

import { toolResultText } from "../../ab/live/tools.js";
import type { CallRecord, RunRecord } from "../../metrics/index.js";
import { toRunEstimate } from "../../predict/estimate.js";
import type { PredictionContext, Predictor } from "../../predict/types.js";
import type { SchedulerApi, Slo } from "../../scheduler/types.js";
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

/**
 * Runs `run` from its arrival (wall `origin` + arrival / T) to its final answer through `scheduler`; returns
 * its record in unscaled ms from `origin`.
 */
export async function runConversation(
  run: GeneratedRun,
  o: {
    scheduler: SchedulerApi;
    predictor: Predictor;
    baseURL: string;
    timeScale: number;
    origin: number;
    slo: Slo;
    signal: AbortSignal;
    counters: ClientCounters;
  },
): Promise<RunRecord> {
  const T = o.timeScale;
  const at = (wall: number) => (wall - o.origin) * T;
  const arrival = o.origin + run.arrivalMs / T;
  const wait = arrival - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const record: RunRecord = {
    id: run.id,
    className: run.className,
    arrivalMs: run.arrivalMs,
    firstTokenMs: null,
    endMs: null,
    toolTimeMs: 0,
    outputTokens: 0,
    calls: [],
  };
  let context: PredictionContext = {
    systemPrompt: run.systemPrompt,
    userPrompt: run.userPrompt,
    tools: run.tools,
    toolRoundsDone: 0,
    promptTokens: run.promptTokens,
  };
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
  const outputs: number[] = [];
  const callsPerRound: number[] = [];
  let promptTokens = run.promptTokens;
  let cachedHint = 0;
  try {
    for (let round = 0; round <= 64; round++) {
      const call: CallRecord = {
        submitMs: at(performance.now()),
        startMs: null,
        firstTokenMs: null,
        endMs: null,
        outputTokens: 0,
      };
      record.calls.push(call);
      const submitted = performance.now();
      const reply = await handle.call(
        { promptTokens, ...(round > 0 ? { cachedPromptTokens: cachedHint } : {}) },
        async (ctx) => {
          o.counters.admitted++;
          o.counters.admitWaitsMs.push(performance.now() - submitted);
          call.startMs = at(performance.now());
          const r = await complete(
            o.baseURL,
            { model: "sim", messages, tools },
            ctx.charge ?? 0,
            () => {
              if (call.firstTokenMs === null) {
                call.firstTokenMs = at(performance.now());
                record.firstTokenMs ??= call.firstTokenMs;
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
      record.outputTokens += reply.outputTokens;
      outputs.push(reply.outputTokens);
      if (reply.toolCalls.length === 0) break;
      messages.push({
        role: "assistant",
        content: reply.content,
        tool_calls: reply.toolCalls.map((c) => ({
          id: c.id,
          type: "function",
          function: { name: c.name, arguments: c.arguments },
        })),
      });
      // The tool phase: the scripted latency of the round's slowest call, results of the scripted size.
      const scripted = run.script.rounds[round]?.calls ?? [];
      const latencyMs = Math.max(0, ...scripted.map((c) => c.latencyMs));
      const parkedAt = performance.now();
      handle.park({ tools: reply.toolCalls.map((c) => c.name) });
      await new Promise((r) => setTimeout(r, latencyMs / T));
      handle.unpark();
      record.toolTimeMs += (performance.now() - parkedAt) * T;
      let added = 0;
      reply.toolCalls.forEach((c, i) => {
        const text = toolResultText(scripted[i]?.resultTokens ?? 8);
        added += scripted[i]?.resultTokens ?? 8;
        messages.push({ role: "tool", tool_call_id: c.id, content: text });
      });
      const measuredMs = (performance.now() - parkedAt) * T;
      for (const c of reply.toolCalls) o.predictor.learnToolLatency(c.name, measuredMs);
      callsPerRound.push(reply.toolCalls.length);
      cachedHint = reply.promptTokens + reply.outputTokens;
      promptTokens = cachedHint + added;
      context = { ...context, toolRoundsDone: round + 1 };
      handle.updateEstimate(toRunEstimate(o.predictor.predict(context)));
    }
    record.endMs = at(performance.now());
    handle.end("ok");
    o.predictor.learnRun(
      { ...context, toolRoundsDone: 0 },
      {
        toolRounds: outputs.length - 1,
        toolCallsPerRound:
          callsPerRound.length === 0 ? 1 : callsPerRound.reduce((a, b) => a + b, 0) / callsPerRound.length,
        outputTokensPerCall: outputs.slice(0, -1),
        finalOutputTokens: outputs.at(-1) ?? 0,
      },
    );
  } catch (error) {
    record.error = error instanceof Error ? error.message : String(error);
    record.endMs = o.signal.aborted ? null : at(performance.now());
    handle.end("error");
  }
  return record;
}
