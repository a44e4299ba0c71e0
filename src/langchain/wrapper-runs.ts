/**
 * Runs of `withAugServe()` models (the wrapper and its structured-output runnables): which run a call joins,
 * from its call options, and the messages it sends.
 */
import type { BaseLanguageModelInput } from "@langchain/core/language_models/base";
import { type BaseMessage, coerceMessageLikeToMessage, HumanMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { PriorityClass } from "../scheduler/types.js";
import type { AugServe } from "./augserve.js";
import type { TrackedRun } from "./run-state.js";
import type { BindableTool } from "./tokens.js";

/** The key a call's `configurable` or `metadata` carries its run id under. */
export const RUN_ID_KEY = "augserveRunId";
/** The `configurable` key of a call's service class (`"interactive"` | `"background"`), read when its run begins. */
export const PRIORITY_CLASS_KEY = "augservePriorityClass";
/** The `configurable` key of a call's fairness key (a user or tenant), read when its run begins. */
export const TENANT_KEY = "augserveTenant";

/** The messages of a model input (a string, message-likes, or a prompt value). */
export function toMessages(input: BaseLanguageModelInput): BaseMessage[] {
  if (typeof input === "string") return [new HumanMessage(input)];
  if (Array.isArray(input)) return input.map((m) => coerceMessageLikeToMessage(m));
  const value = input as { toChatMessages?: () => BaseMessage[] };
  return typeof value.toChatMessages === "function" ? value.toChatMessages() : [];
}

/** The model name a model reports (the key of its learned token ratio). */
export function modelNameOf(model: unknown): string {
  const m = model as { model?: unknown; modelName?: unknown; _llmType?: () => string };
  if (typeof m.model === "string") return m.model;
  if (typeof m.modelName === "string") return m.modelName;
  return typeof m._llmType === "function" ? m._llmType() : "unknown";
}

function priorityClassOf(value: unknown): PriorityClass | undefined {
  return value === "interactive" || value === "background" ? value : undefined;
}

/**
 * The run a wrapper call joins: the run named by `configurable.augserveRunId` (or `metadata.augserveRunId`),
 * begun on its first call and ended by `AugServe.endRunById()`; without one, a run of its own (`ephemeral`),
 * ended with the call.
 */
export function runForCall(
  aug: AugServe,
  messages: BaseMessage[],
  tools: readonly BindableTool[],
  options: RunnableConfig | undefined,
): { run: TrackedRun; ephemeral: boolean } {
  const configurable = options?.configurable;
  const id = configurable?.[RUN_ID_KEY] ?? options?.metadata?.[RUN_ID_KEY];
  const threadId = configurable?.thread_id;
  const priorityClass = priorityClassOf(configurable?.[PRIORITY_CLASS_KEY]);
  const tenant = configurable?.[TENANT_KEY];
  const common = {
    messages,
    tools,
    ...(typeof threadId === "string" ? { threadId } : {}),
    ...(priorityClass !== undefined ? { priorityClass } : {}),
    ...(typeof tenant === "string" && tenant !== "" ? { tenant: tenant.slice(0, 256) } : {}),
  };
  if (typeof id !== "string") return { run: aug.beginRun(common), ephemeral: true };
  return { run: aug.getRun(id) ?? aug.beginRun({ ...common, runId: id }), ephemeral: false };
}

/** Ends an ephemeral run after its call: ok, or aborted / error from what the call saw. */
export function endCallRun(
  aug: AugServe,
  run: TrackedRun,
  ephemeral: boolean,
  ok: boolean,
  signal: AbortSignal | undefined,
): void {
  if (ephemeral) aug.endRun(run, ok ? "ok" : signal?.aborted ? "aborted" : "error");
}
