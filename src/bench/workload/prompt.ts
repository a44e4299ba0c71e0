/**
 * Prompt text of generated runs: templates with `{n}` and `{items}`, neutral filler to reach a token count,
 * and the per-run reference that makes every user prompt unique (the simulator finds a run's script by its
 * first user message).
 */
import type { ToolSchema } from "../../predict/types.js";
import { countTokens, renderConversation } from "../../sim/tokenizer.js";
import type { Rng } from "./rng.js";

const NUMBER_WORDS = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
  "thirteen",
  "fourteen",
  "fifteen",
  "sixteen",
  "seventeen",
  "eighteen",
  "nineteen",
  "twenty",
];

/** `n` as a word when there is one (0-20), else as a numeral. */
export function numberWord(n: number): string {
  return NUMBER_WORDS[n] ?? String(n);
}

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
 * Renders a template: `{n}` as numeral or word (a coin flip), `{items}` as `max(1, n)` items drawn without
 * replacement (cycling through a fresh shuffle when more are needed than there are).
 */
export function renderTemplate(template: string, n: number, items: readonly string[], rng: Rng): string {
  const asWord = rng.next() < 0.5;
  let drawn = "";
  if (template.includes("{items}")) {
    const chosen: string[] = [];
    let deck: string[] = [];
    for (let i = 0; i < Math.max(1, n); i++) {
      if (deck.length === 0) deck = [...items];
      chosen.push(deck.splice(Math.floor(rng.next() * deck.length), 1)[0] as string);
    }
    drawn = chosen.join("; ");
  }
  return template.replaceAll("{n}", asWord ? numberWord(n) : String(n)).replaceAll("{items}", drawn);
}

/** A system prompt padded with filler to `tokens` tokens (unchanged when already that long). */
export function padSystemPrompt(systemPrompt: string, tokens: number | undefined): string {
  if (tokens === undefined) return systemPrompt;
  const missing = tokens - countTokens(systemPrompt);
  return missing > 0 ? systemPrompt + filler(missing) : systemPrompt;
}

/** The JSON the chat template renders the bound tools as (the simulator renders `JSON.stringify(tools)`). */
export function toolsJson(tools: readonly ToolSchema[]): string | undefined {
  return tools.length === 0 ? undefined : JSON.stringify(tools);
}

/** Prompt tokens of a run's first call, as the simulator counts them. */
export function firstCallTokens(
  systemPrompt: string,
  userPrompt: string,
  tools: readonly ToolSchema[],
): number {
  return renderConversation(
    [
      { role: "system", content: systemPrompt },
      { role: "user", content: userPrompt },
    ],
    toolsJson(tools),
  ).length;
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
