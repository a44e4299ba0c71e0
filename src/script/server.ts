/**
 * What the simulator's and the engine's servers share of the scripted model: the options that feed it
 * (`seed`, `scripts`, `defaultAnswerTokens`), the model built from them, and the handle a server returns.
 */
import { z } from "zod";
import type { OpenAIServerAddress } from "../wire/index.js";
import { ScriptedModel } from "./scripted-model.js";
import type { ConversationScript } from "./types.js";

/** The scripted model's options in a server's option schema (spread into it). */
export const ScriptedServerShape = {
  /** Seed of the scripted text. @default 0 */
  seed: z.number().int().default(0),
  /** Conversation scripts the replies follow (more with `registerScripts`). @default [] */
  scripts: z.array(z.custom<ConversationScript>((v) => typeof v === "object" && v !== null)).default([]),
  /** Tokens of the answer to an unknown conversation (max_tokens cuts it). @default 64 */
  defaultAnswerTokens: z.number().int().min(1).default(64),
};

/** The scripted model of a server's parsed options, its scripts registered. */
export function scriptedModelOf(options: {
  seed: number;
  scripts: readonly ConversationScript[];
  defaultAnswerTokens: number;
}): ScriptedModel {
  const model = new ScriptedModel({ seed: options.seed, defaultAnswerTokens: options.defaultAnswerTokens });
  model.register(options.scripts);
  return model;
}

/** A listening server that answers from conversation scripts: its address, its engine, more scripts, close. */
export interface ScriptedServer<E> extends OpenAIServerAddress {
  /** Adds conversation scripts (e.g. the runs of a workload). */
  registerScripts(scripts: Iterable<ConversationScript>): void;
  engine: E;
  /** Stops listening and drops open requests; resolves when the socket is closed and all is freed. */
  close(): Promise<void>;
}
