/**
 * Prompt text of generated runs: neutral filler to reach a token count, the per-run reference that makes
 * every user prompt unique (the simulator finds a run's script by its first user message), and the text of
 * a scripted tool result. Templates are rendered by hint.ts.
 */
import type { ToolSchema } from "../predict/types.js";
import { countTokens, renderConversation, type TemplateMessage } from "../script/tokenizer.js";

/**
 * Neutral filler: words of at most 5 letters (one token each with their leading space) and full stops (one
 * token each), so a filler of exactly `k` tokens is easy to build. It says nothing about the task.
 */
const FILLER = (
  "Note that this part adds plain text and no new facts . It is here only to pad the note . " +
  "Read it or skip it as you like . The task is below and this line does not change it ."
).split(" ");

/** Filler text of exactly `tokens` tokens, starting with a space. */
export function filler(tokens: number): string {
  let out = "";
  for (let i = 0; i < tokens; i++) {
    const word = FILLER[i % FILLER.length] as string;
    out += word === "." ? "." : ` ${word}`;
  }
  return out;
}

/**
 * The text a scripted tool call returns: exactly `tokens` tokens under the simulator's tokenizer (at least
 * one word). The live bench's tools return it, and the virtual bench shows it to the call accounting, so
 * both modes see the same conversation.
 */
export function toolResultText(tokens: number): string {
  return filler(Math.max(1, tokens)).trimStart();
}

/** A system prompt padded with filler to `tokens` tokens (unchanged when already that long). */
export function padSystemPrompt(systemPrompt: string, tokens: number | undefined): string {
  if (tokens === undefined) return systemPrompt;
  const missing = tokens - countTokens(systemPrompt);
  return missing > 0 ? systemPrompt + filler(missing) : systemPrompt;
}

/**
 * The JSON the chat template renders the bound tools as: the request's `tools` as an OpenAI client sends them
 * (`[{ "type": "function", "function": { name, description, parameters } }]`, what LangChain's ChatOpenAI
 * sends and the simulator renders).
 */
export function toolsJson(tools: readonly ToolSchema[]): string | undefined {
  return tools.length === 0
    ? undefined
    : JSON.stringify(tools.map((tool) => ({ type: "function", function: tool })));
}

/** The first call's messages as a client sends them: no system message when the system prompt is empty. */
export function firstCallMessages(systemPrompt: string, userPrompt: string): TemplateMessage[] {
  const user = { role: "user", content: userPrompt };
  return systemPrompt === "" ? [user] : [{ role: "system", content: systemPrompt }, user];
}

/** Token ids of a run's first call, as the simulator's server renders it. */
export function firstCallIds(
  systemPrompt: string,
  userPrompt: string,
  tools: readonly ToolSchema[],
): number[] {
  return renderConversation(firstCallMessages(systemPrompt, userPrompt), toolsJson(tools));
}

/** Prompt tokens of a run's first call, as the simulator counts them. */
export function firstCallTokens(
  systemPrompt: string,
  userPrompt: string,
  tools: readonly ToolSchema[],
): number {
  return firstCallIds(systemPrompt, userPrompt, tools).length;
}

/**
 * The user prompt `task + filler + reference`, with the filler sized so that the first call has
 * `targetTokens` prompt tokens (or as few as possible when system prompt, tools and task already exceed it).
 * Returns the prompt and its first-call token count.
 */
export function padUserPrompt(
  systemPrompt: string,
  task: string,
  reference: string,
  tools: readonly ToolSchema[],
  targetTokens: number,
): { userPrompt: string; promptTokens: number } {
  let pad = 0;
  let userPrompt = `${task} ${reference}`;
  let tokens = firstCallTokens(systemPrompt, userPrompt, tools);
  // Token counts are additive at a space boundary, so one correction lands exactly; loop for safety.
  for (let attempt = 0; attempt < 4 && tokens !== targetTokens; attempt++) {
    const next = Math.max(0, pad + targetTokens - tokens);
    if (next === pad) break;
    pad = next;
    userPrompt = `${task}${filler(pad)} ${reference}`;
    tokens = firstCallTokens(systemPrompt, userPrompt, tools);
  }
  return { userPrompt, promptTokens: tokens };
}
