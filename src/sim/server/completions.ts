/**
 * `POST /v1/chat/completions`: renders the conversation to tokens, asks the simulated model what to say, runs
 * it through the engine (via the wall-clock driver) and answers as OpenAI does, streamed (SSE) or not.
 */
import type { ServerResponse } from "node:http";
import type { ScriptedModel } from "../model/scripted-model.js";
import { renderConversation, SPECIAL, tokenize } from "../tokenizer.js";
import type { WallClockDriver } from "./driver.js";
import type { SimMetrics } from "./metrics.js";
import { type ChatCompletionBody, messageText } from "./schema.js";
import {
  assistantText,
  ChatCompletionWriter,
  newCompletionId,
  PlanCursor,
  templateMessages,
} from "./wire.js";

export interface CompletionContext {
  driver: WallClockDriver;
  model: ScriptedModel;
  metrics: SimMetrics;
  servedModel: string;
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
  const stream = body.stream === true;
  const writer = new ChatCompletionWriter(res, {
    id: newCompletionId(),
    created: Math.floor(Date.now() / 1000),
    model: body.model ?? ctx.servedModel,
    stream,
    includeUsage: stream && body.stream_options?.include_usage === true,
  });
  const id = writer.options.id;
  const { driver, metrics } = ctx;

  const arrival = driver.simTime();
  let last = arrival;
  let done = false;
  let cachedTokens = 0;
  const cursor = new PlanCursor(plan);

  // Throws SimRequestError (the caller answers 400) before anything is written.
  driver.submit(
    { id, promptTokens, maxTokens: plan.totalTokens, outputTokens, priority: body.priority ?? 0 },
    {
      onTokens(tokens, first, finished, simMs) {
        if (done) return;
        if (first) metrics.observeTtft(simMs - arrival);
        else metrics.observeItl(simMs - last, tokens);
        last = simMs;
        writer.push(cursor.advance(tokens));
        if (!finished) {
          writer.flush();
          return;
        }
        done = true;
        metrics.observeE2e(simMs - arrival);
        const usage = { promptTokens: promptTokens.length, completionTokens: plan.totalTokens, cachedTokens };
        writer.finish(plan.finishReason, usage, plan.text.join(""), plan.toolCalls);
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
  writer.open();
}
