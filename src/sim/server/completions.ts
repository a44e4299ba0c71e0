/**
 * `POST /v1/chat/completions`: renders the conversation to tokens, asks the simulated model what to say, runs
 * it through the engine (via the wall-clock driver) and answers as OpenAI does, streamed (SSE) or not.
 */
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { ReplyPlan, ScriptedModel } from "../model/scripted-model.js";
import { renderConversation, SPECIAL, type TemplateMessage, tokenize } from "../tokenizer.js";
import type { WallClockDriver } from "./driver.js";
import type { SimMetrics } from "./metrics.js";
import { type ChatCompletionBody, type ChatMessage, messageText } from "./schema.js";

export interface CompletionContext {
  driver: WallClockDriver;
  model: ScriptedModel;
  metrics: SimMetrics;
  servedModel: string;
}

let completions = 0;
/** Unique per completion: a process-random prefix and a counter. */
const ID_PREFIX = randomBytes(6).toString("hex");

/** The assistant turn as the chat template renders it (so the next call's prompt repeats these tokens). */
function assistantText(content: string, toolCalls: readonly { name: string; arguments: string }[]): string {
  if (toolCalls.length === 0) return content;
  return content + JSON.stringify(toolCalls.map((c) => ({ name: c.name, arguments: c.arguments })));
}

function templateMessages(messages: readonly ChatMessage[]): TemplateMessage[] {
  return messages.map((m) => {
    const text = messageText(m.content);
    if (m.role !== "assistant" || !m.tool_calls?.length) return { role: m.role, content: text };
    const calls = m.tool_calls.map((c) => ({ name: c.function.name, arguments: c.function.arguments }));
    return { role: m.role, content: assistantText(text, calls) };
  });
}

export function handleChatCompletion(
  ctx: CompletionContext,
  body: ChatCompletionBody,
  res: ServerResponse,
): void {
  const tools = body.tools ?? [];
  const allowTools = tools.length > 0 && body.tool_choice !== "none";
  const promptTokens = renderConversation(
    templateMessages(body.messages),
    tools.length > 0 ? JSON.stringify(tools) : undefined,
  );
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const plan = ctx.model.plan(
    body.messages.map((m) => ({ role: m.role, content: messageText(m.content) })),
    maxTokens,
    allowTools,
  );
  const outputTokens = tokenize(assistantText(plan.text.join(""), plan.toolCalls));
  outputTokens.push(SPECIAL.endOfTurn);
  const id = `chatcmpl-${ID_PREFIX}${(completions++).toString(36)}`;
  const created = Math.floor(Date.now() / 1000);
  const modelName = body.model ?? ctx.servedModel;
  const stream = body.stream === true;
  const includeUsage = stream && body.stream_options?.include_usage === true;
  const { driver, metrics } = ctx;

  const arrival = driver.simTime();
  let last = arrival;
  let done = false;
  let cachedTokens = 0;
  const cursor = new PlanCursor(plan);
  const prefix = `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(modelName)},"choices":[{"index":0,"delta":`;
  const chunk = (delta: unknown, finish: string | null) =>
    `${prefix}${JSON.stringify(delta)},"logprobs":null,"finish_reason":${finish === null ? "null" : `"${finish}"`}}]}\n\n`;
  const usage = () => ({
    prompt_tokens: promptTokens.length,
    completion_tokens: plan.totalTokens,
    total_tokens: promptTokens.length + plan.totalTokens,
    prompt_tokens_details: { cached_tokens: cachedTokens },
  });

  // Throws SimRequestError (the caller answers 400) before anything is written.
  driver.submit(
    { id, promptTokens, maxTokens: plan.totalTokens, outputTokens, priority: body.priority ?? 0 },
    {
      onTokens(tokens, first, finished, simMs) {
        if (done) return;
        if (first) metrics.observeTtft(simMs - arrival);
        else metrics.observeItl(simMs - last, tokens);
        last = simMs;
        if (stream) {
          let out = "";
          for (const delta of cursor.advance(tokens)) out += chunk(delta, null);
          if (finished) {
            out += chunk({}, plan.finishReason);
            if (includeUsage) {
              out += `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: modelName, choices: [], usage: usage() })}\n\n`;
            }
            out += "data: [DONE]\n\n";
          }
          res.write(out);
        }
        if (!finished) return;
        done = true;
        metrics.observeE2e(simMs - arrival);
        if (stream) {
          res.end();
          return;
        }
        const text = plan.text.join("");
        const message: Record<string, unknown> = {
          role: "assistant",
          content: text.length > 0 || plan.toolCalls.length === 0 ? text : null,
        };
        if (plan.toolCalls.length > 0) {
          message.tool_calls = plan.toolCalls.map((c) => ({
            id: c.id,
            type: "function",
            function: { name: c.name, arguments: c.arguments },
          }));
        }
        const bodyJson = JSON.stringify({
          id,
          object: "chat.completion",
          created,
          model: modelName,
          choices: [{ index: 0, message, logprobs: null, finish_reason: plan.finishReason }],
          usage: usage(),
        });
        res.writeHead(200, { "content-type": "application/json" }).end(bodyJson);
      },
      onAdmitted(cached) {
        cachedTokens = cached;
      },
    },
  );
  res.on("close", () => {
    if (!done) {
      done = true;
      driver.cancel(id);
    }
  });
  if (stream) {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    res.write(chunk({ role: "assistant", content: "" }, null));
  }
}

/** Walks a plan's tokens: text pieces, then each tool call's argument pieces. */
class PlanCursor {
  #plan: ReplyPlan;
  #at = 0;
  constructor(plan: ReplyPlan) {
    this.#plan = plan;
  }

  /** The deltas carrying the next `tokens` tokens. */
  advance(tokens: number): unknown[] {
    const deltas: unknown[] = [];
    const text = this.#plan.text;
    let left = tokens;
    if (this.#at < text.length && left > 0) {
      const take = Math.min(left, text.length - this.#at);
      deltas.push({ content: text.slice(this.#at, this.#at + take).join("") });
      this.#at += take;
      left -= take;
    }
    let base = text.length;
    for (let index = 0; index < this.#plan.toolCalls.length && left > 0; index++) {
      const call = this.#plan.toolCalls[index] as ReplyPlan["toolCalls"][number];
      const offset = this.#at - base;
      base += call.pieces.length;
      if (offset >= call.pieces.length) continue;
      if (offset === 0) {
        deltas.push({
          tool_calls: [
            { index, id: call.id, type: "function", function: { name: call.name, arguments: "" } },
          ],
        });
      }
      const take = Math.min(left, call.pieces.length - offset);
      deltas.push({
        tool_calls: [{ index, function: { arguments: call.pieces.slice(offset, offset + take).join("") } }],
      });
      this.#at += take;
      left -= take;
    }
    return deltas;
  }
}
