/**
 * `POST /v1/chat/completions` on the real engine: renders and tokenizes the prompt with the model's own
 * tokenizer, decides what the reply says as the simulator does (the run's hidden script, so that every
 * policy sees identical runs; unknown conversations get the decoded text), and decodes exactly that many
 * tokens on a slot. Each decoded token releases one token of the reply: a script's piece, or the model's own
 * text through a detokenizer that never splits a multi-byte character.
 */
import type { ServerResponse } from "node:http";
import { PlanCursor } from "../script/plan-cursor.js";
import type { ScriptedModel } from "../script/scripted-model.js";
import { templateMessages } from "../script/template.js";
import { ChatCompletionWriter, newCompletionId } from "../wire/completion-writer.js";
import { type ChatCompletionBody, messageText } from "../wire/schema.js";
import { StreamingDetokenizer } from "./detokenizer.js";
import type { LlamaEngine } from "./engine.js";
import { renderPromptText } from "./prompt.js";
import type { PromptTokenizer } from "./tokenize.js";

export interface EngineCompletionContext {
  engine: LlamaEngine;
  tokenizer: PromptTokenizer;
  model: ScriptedModel;
  servedModel: string;
}

/**
 * Handles one validated request. Rejects with `EngineRequestError` (answer 400) before writing anything;
 * the prompt's bytes are checked before it is tokenized, and large prompts tokenize off the event loop.
 */
export async function handleEngineCompletion(
  ctx: EngineCompletionContext,
  body: ChatCompletionBody,
  res: ServerResponse,
): Promise<void> {
  const { engine } = ctx;
  const llamaModel = engine.loaded.model;
  const tools = body.tools ?? [];
  const text = renderPromptText(
    templateMessages(body.messages),
    tools.length > 0 ? JSON.stringify(tools) : undefined,
  );
  let gone = false;
  const onEarlyClose = () => {
    gone = true;
  };
  res.once("close", onEarlyClose);
  const prompt = await ctx.tokenizer.tokenizePrompt(text, engine.contextSize);
  res.off("close", onEarlyClose);
  // The client left while its prompt was being tokenized: nothing to decode, nobody to answer.
  if (gone || res.destroyed) return;
  const room = engine.contextSize - prompt.length;
  const requested = body.max_completion_tokens ?? body.max_tokens ?? room;
  const plan = ctx.model.plan(
    body.messages.map((m) => ({ role: m.role, content: messageText(m.content) })),
    Math.min(requested, room),
    tools.length > 0 && body.tool_choice !== "none",
  );
  const stream = body.stream === true;
  const writer = new ChatCompletionWriter(res, {
    id: newCompletionId(),
    created: Math.floor(Date.now() / 1000),
    model: body.model ?? ctx.servedModel,
    stream,
    includeUsage: stream && body.stream_options?.include_usage === true,
  });
  const abort = new AbortController();
  let done = false;
  res.on("close", () => {
    if (!done) abort.abort(new Error("client disconnected"));
  });

  const cursor = plan.scripted ? new PlanCursor(plan) : undefined;
  const detokenizer = new StreamingDetokenizer(llamaModel);
  let decodedText = "";
  let cachedTokens = 0;
  writer.open();
  engine
    .generate({
      prompt,
      maxTokens: plan.totalTokens,
      signal: abort.signal,
      onAdmitted(cached) {
        cachedTokens = cached;
      },
      onToken(token) {
        if (cursor !== undefined) {
          writer.push(cursor.advance(1));
        } else {
          const piece = detokenizer.push(token);
          decodedText += piece;
          if (piece.length > 0) writer.push([{ content: piece }]);
        }
        writer.flush();
      },
    })
    .then(
      (result) => {
        if (result.aborted || res.destroyed) return;
        done = true;
        const rest = cursor === undefined ? detokenizer.flush() : "";
        decodedText += rest;
        if (rest.length > 0) writer.push([{ content: rest }]);
        const usage = { promptTokens: prompt.length, completionTokens: result.tokens, cachedTokens };
        if (cursor !== undefined) writer.finish(plan.finishReason, usage, plan.text.join(""), plan.toolCalls);
        else writer.finish(plan.finishReason, usage, decodedText, []);
      },
      () => {
        // The engine is closing: the request ends with an error rather than a truncated success.
        done = true;
        res.destroy();
      },
    );
}
