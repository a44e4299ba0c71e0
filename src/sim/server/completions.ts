/**
 * `POST /v1/chat/completions`: renders the conversation to tokens, asks the simulated model what to say, runs
 * it through the engine (via the wall-clock driver) and answers as OpenAI does, streamed (SSE) or not.
 */
import type { ServerResponse } from "node:http";
import { PlanCursor } from "../../script/plan-cursor.js";
import type { ScriptedModel } from "../../script/scripted-model.js";
import { assistantText, templateMessages } from "../../script/template.js";
import { renderConversation, SPECIAL, tokenize } from "../../script/tokenizer.js";
import { ChatCompletionWriter, newCompletionId } from "../../wire/completion-writer.js";
import { type ChatCompletionBody, messageText } from "../../wire/schema.js";
import { SimRequestError } from "../errors.js";
import type { WallClockDriver } from "./driver.js";
import type { SimMetrics } from "./metrics.js";

export interface CompletionContext {
  driver: WallClockDriver;
  model: ScriptedModel;
  metrics: SimMetrics;
  servedModel: string;
  /** Receives an error raised while streaming (a bug): the response is destroyed, the request cancelled. */
  onStreamError(error: unknown): void;
}

export function handleChatCompletion(
  ctx: CompletionContext,
  body: ChatCompletionBody,
  res: ServerResponse,
): void {
  const id = newCompletionId();
  const tools = body.tools ?? [];
  const allowTools = tools.length > 0 && body.tool_choice !== "none";
  // Tokenizing stops past the model length: the work is bounded by it, not by the body size.
  const maxModelLen = ctx.driver.engine.options.maxModelLen;
  const promptTokens = renderConversation(
    templateMessages(body.messages),
    tools.length > 0 ? JSON.stringify(tools) : undefined,
    maxModelLen - 1,
  );
  if (promptTokens.length >= maxModelLen) {
    throw new SimRequestError(
      id,
      `Expected prompt + max tokens <= ${maxModelLen} (the model length), got a prompt of more than ${maxModelLen - 1} tokens`,
    );
  }
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
    id,
    created: Math.floor(Date.now() / 1000),
    model: body.model ?? ctx.servedModel,
    stream,
    includeUsage: stream && body.stream_options?.include_usage === true,
  });
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
      onError(error) {
        done = true;
        res.destroy();
        ctx.onStreamError(error);
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
