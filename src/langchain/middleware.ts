/**
 * `augserve()`: the LangChain v1 agent middleware. One line puts an agent's model calls behind the
 * AugServe scheduler:
 *
 * ```ts
 * const agent = createAgent({ model, tools, middleware: [augserve()] });
 * ```
 *
 * Hooks: `beforeAgent` notes the run's arrival (and its thread id and abort signal); the first
 * `wrapModelCall` begins the run in the scheduler with Stage I predictions (it is the first hook that sees
 * the system prompt and the bound tools); every `wrapModelCall` waits for admission and measures the call;
 * `wrapToolCall` parks the run for the tool phase; `afterAgent` ends the run and teaches the predictor.
 */
import { randomUUID } from "node:crypto";
import { type BaseMessage, ToolMessage } from "@langchain/core/messages";
import type { ToolCall } from "@langchain/core/messages/tool";
import { createMiddleware, ToolInvocationError } from "langchain";
import { z } from "zod";
import type { AugServe } from "./augserve.js";
import { CallBoundModel } from "./call-model.js";
import type { BindableTool } from "./tokens.js";

/** Name of the middleware in the agent graph. */
export const AUGSERVE_MIDDLEWARE_NAME = "augserve";

/** Private state: the id that ties one agent invocation's hooks together. Underscore fields stay out of the agent's output. */
const StateSchema = z.object({ _augserveRunId: z.string().optional() });

/** Arrivals noted by `beforeAgent` whose first model call has not come yet. */
interface PendingRun {
  arrivalMs: number;
  threadId: string | undefined;
  signal: AbortSignal | undefined;
}

/** Pending arrivals kept at most (runs that end before any model call are dropped by `afterAgent`). */
const MAX_PENDING = 100_000;

function modelNameOf(model: unknown): string {
  const m = model as { model?: unknown; modelName?: unknown; _llmType?: () => string };
  if (typeof m.model === "string") return m.model;
  if (typeof m.modelName === "string") return m.modelName;
  return typeof m._llmType === "function" ? m._llmType() : "unknown";
}

/** LangGraph control-flow errors (interrupts, parent commands) that must pass through untouched. */
const BUBBLE_UP = new Set(["GraphInterrupt", "NodeInterrupt", "ParentCommand", "GraphBubbleUp"]);

/**
 * With any `wrapToolCall` middleware present, LangChain's ToolNode stops turning tool exceptions into
 * error ToolMessages and makes them fatal. To leave the agent's behaviour as it is without the
 * middleware, a tool's exception becomes the ToolMessage the agent's default handler would have made.
 */
function toolErrorMessage(error: unknown, call: ToolCall, signal: AbortSignal | undefined): ToolMessage {
  const name = (error as { name?: unknown } | null)?.name;
  if (
    signal?.aborted ||
    ToolInvocationError.isInstance(error) ||
    (typeof name === "string" && BUBBLE_UP.has(name))
  ) {
    throw error;
  }
  return new ToolMessage({
    content: `${error}\n Please fix your mistakes.`,
    tool_call_id: call.id ?? "",
    name: call.name,
    status: "error",
  });
}

/** Builds the middleware of an AugServe instance (see `AugServe.middleware()` and `augserve()`). */
export function buildMiddleware(aug: AugServe) {
  const pending = new Map<string, PendingRun>();
  const now = () => performance.now();

  const runFor = (
    id: string | undefined,
    messages: readonly BaseMessage[],
    tools: readonly BindableTool[],
  ) => {
    if (id !== undefined) {
      const existing = aug.getRun(id);
      if (existing !== undefined) return existing;
    }
    const noted = id === undefined ? undefined : pending.get(id);
    if (id !== undefined) pending.delete(id);
    return aug.beginRun({
      ...(id !== undefined ? { runId: id } : {}),
      ...(noted?.threadId !== undefined ? { threadId: noted.threadId } : {}),
      ...(noted?.signal !== undefined ? { signal: noted.signal } : {}),
      ...(noted !== undefined ? { arrivalMs: noted.arrivalMs } : {}),
      messages,
      tools,
    });
  };

  return createMiddleware({
    name: AUGSERVE_MIDDLEWARE_NAME,
    stateSchema: StateSchema,
    beforeAgent: (_state, runtime) => {
      const id = randomUUID();
      if (pending.size >= MAX_PENDING) pending.delete(pending.keys().next().value as string);
      pending.set(id, {
        arrivalMs: now(),
        threadId: runtime.configurable?.thread_id,
        signal: runtime.signal,
      });
      return { _augserveRunId: id };
    },
    wrapModelCall: async (request, handler) => {
      const system = request.systemMessage.text === "" ? [] : [request.systemMessage];
      const messages = [...system, ...request.messages];
      const tools = request.tools as BindableTool[];
      const run = runFor(request.state._augserveRunId, messages, tools);
      const wrappable = CallBoundModel.canWrap(request.model);
      try {
        return await aug.callModel(
          run,
          { messages, tools, modelName: modelNameOf(request.model) },
          async (call) =>
            wrappable
              ? handler({ ...request, model: new CallBoundModel(request.model as never, call) })
              : handler(request),
          request.runtime.signal,
        );
      } catch (error) {
        // The error leaves the agent unless an outer middleware retries; a retried call begins a new run.
        aug.endRun(run, request.runtime.signal?.aborted ? "aborted" : "error");
        throw error;
      }
    },
    wrapToolCall: async (request, handler) => {
      const id = request.state._augserveRunId;
      const run = id === undefined ? undefined : aug.getRun(id);
      if (run === undefined) return handler(request);
      const name = request.toolCall.name;
      aug.toolStarted(run, name);
      const started = now();
      try {
        return await handler(request);
      } catch (error) {
        if (aug.options.toolErrors === "throw") throw error;
        return toolErrorMessage(error, request.toolCall, request.runtime.signal);
      } finally {
        aug.toolFinished(run, name, now() - started);
      }
    },
    afterAgent: (state) => {
      const id = state._augserveRunId;
      if (id === undefined) return;
      pending.delete(id);
      const run = aug.getRun(id);
      if (run !== undefined) aug.endRun(run, "ok");
    },
  });
}

/** The middleware type `augserve()` returns. */
export type AugServeMiddleware = ReturnType<typeof buildMiddleware>;
