/**
 * What runs and calls are made of, and how a run's Stage I inputs are read from its first messages.
 */
import { randomUUID } from "node:crypto";
import type { BaseMessage } from "@langchain/core/messages";
import type { PredictionContext, RunPrediction } from "../predict/types.js";
import type { PriorityClass, RunEstimate } from "../scheduler/types.js";
import { type BindableTool, estimatePromptTokens, toolInfo } from "./tokens.js";

/** What a run is begun with. */
export interface BeginRunInput {
  /** Stable id; generated when absent. */
  runId?: string;
  /** The conversation's thread id (the default A/B key). */
  threadId?: string;
  messages: readonly BaseMessage[];
  tools: readonly BindableTool[];
  /** Aborting it ends the run as `"aborted"` and aborts its queued and running calls. */
  signal?: AbortSignal;
  /** When the run arrived (`performance.now()` ms), if before this call. @default now */
  arrivalMs?: number;
  /** Service class (see `BeginRunOptions.priorityClass`). @default "interactive" */
  priorityClass?: PriorityClass;
  /** Fairness key: a user or tenant (see `BeginRunOptions.tenant`). At most 256 characters. */
  tenant?: string;
}

/** What one model call is made of. */
export interface ModelCallInput {
  messages: readonly BaseMessage[];
  tools: readonly BindableTool[];
  /** Key of the per-model token ratio. */
  modelName: string;
}

/** Run ids: unique in the process, and across processes by a random prefix (cheaper than a UUID per run). */
const RUN_ID_PREFIX = randomUUID().slice(0, 8);
let nextRunNumber = 1;

/** A new run id. */
export function newRunId(): string {
  return `${RUN_ID_PREFIX}-${(nextRunNumber++).toString(36)}`;
}

function textOf(message: BaseMessage): string {
  return typeof message.content === "string" ? message.content : message.text;
}

/** Stage I inputs of a run from its first call's messages and tools: system and user prompts, schemas, tokens. */
export function predictionContextOf(
  messages: readonly BaseMessage[],
  tools: readonly BindableTool[],
  charsPerToken: number,
): PredictionContext {
  const system: string[] = [];
  const user: string[] = [];
  for (const m of messages) {
    const type = m.getType();
    if (type === "system") system.push(textOf(m));
    else if (type === "human") user.push(textOf(m));
  }
  return {
    systemPrompt: system.join("\n"),
    userPrompt: user.join("\n"),
    tools: tools.map((t) => toolInfo(t).schema),
    toolRoundsDone: 0,
    promptTokens: estimatePromptTokens(messages, tools, charsPerToken),
  };
}

/** The scheduler's estimate from a prediction. */
export function toEstimate(p: RunPrediction): RunEstimate {
  return {
    remainingToolRounds: p.remainingToolRounds,
    outputTokensPerCall: p.outputTokensPerCall,
    finalOutputTokens: p.finalOutputTokens,
    toolLatencyMs: p.toolLatencyMs,
  };
}
