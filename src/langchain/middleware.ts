/**
 * `augserve()`: the LangChain v1 agent middleware. One line puts an agent's model calls behind the
 * AugServe scheduler:
 *
 * ```ts
 * const agent = createAgent({ model, tools, middleware: [augserve()] });
 * ```
 *
 * Only two hooks, `wrapModelCall` and `wrapToolCall`, because every other hook costs the agent a graph
 * step or a state channel on every call (measured on this machine: `beforeAgent` + `afterAgent` add ~4x,
 * a `stateSchema` ~3x the cost of the two wrap hooks; see docs/langchain.md). So:
 * - the first model call of an invocation begins the run (Stage I predictions from the system prompt,
 *   the user's messages and the bound tools' schemas, which this hook is the first to see);
 * - an invocation is recognised by its last user message (LangGraph gives every message an id);
 * - a model response without tool calls is the final answer: the run ends there, the predictor learns
 *   its true counts, and its metrics are recorded; an error or the run's abort signal also ends it.
 */
import { type BaseMessage, ToolMessage } from "@langchain/core/messages";
import type { ToolCall } from "@langchain/core/messages/tool";
import { createMiddleware, ToolInvocationError } from "langchain";
import type { AugServe } from "./augserve.js";
import { CallBoundModel } from "./call-model.js";
import { toolCallCount } from "./observer.js";
import type { TrackedRun } from "./run-state.js";
import type { BindableTool } from "./tokens.js";

/** Name of the middleware in the agent graph. */
export const AUGSERVE_MIDDLEWARE_NAME = "augserve";

/** Run keys of messages without an id (object identity), so that such invocations are still told apart. */
const anonymousKeys = new WeakMap<BaseMessage, string>();
let anonymous = 0;

/** The key of an agent invocation: its thread and its last user message. */
function invocationKey(messages: readonly BaseMessage[], threadId: string | undefined): string {
  let user: BaseMessage | undefined;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.getType() === "human") {
      user = messages[i];
      break;
    }
  }
  if (user === undefined) return `${threadId ?? ""}#none`;
  let id = user.id;
  if (id === undefined) {
    id = anonymousKeys.get(user);
    if (id === undefined) {
      id = `anon-${++anonymous}`;
      anonymousKeys.set(user, id);
    }
  }
  return `${threadId ?? ""}#${id}`;
}

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
  const now = () => performance.now();
  const runs = new Map<string, TrackedRun>();

  return createMiddleware({
    name: AUGSERVE_MIDDLEWARE_NAME,
    wrapModelCall: async (request, handler) => {
      const threadId = request.runtime.configurable?.thread_id;
      const key = invocationKey(request.state.messages, threadId);
      const system = request.systemMessage.text === "" ? [] : [request.systemMessage];
      const messages = [...system, ...request.messages];
      const tools = request.tools as BindableTool[];
      let run = runs.get(key);
      if (run === undefined || run.ended) {
        const signal = request.runtime.signal;
        if (runs.size >= 1024) for (const [k, r] of runs) if (r.ended) runs.delete(k);
        run = aug.beginRun({
          messages,
          tools,
          ...(threadId !== undefined ? { threadId } : {}),
          ...(signal !== undefined ? { signal } : {}),
        });
        runs.set(key, run);
      }
      const wrappable = CallBoundModel.canWrap(request.model);
      try {
        const response = await aug.callModel(
          run,
          { messages, tools, modelName: modelNameOf(request.model) },
          async (call) =>
            wrappable
              ? handler({ ...request, model: new CallBoundModel(request.model as never, call) })
              : handler(request),
          request.runtime.signal,
        );
        if (toolCallCount(response) === 0) {
          runs.delete(key);
          aug.endRun(run, "ok");
        }
        return response;
      } catch (error) {
        // The error leaves the agent unless an outer middleware retries; a retried call begins a new run.
        runs.delete(key);
        aug.endRun(run, request.runtime.signal?.aborted ? "aborted" : "error");
        throw error;
      }
    },
    wrapToolCall: async (request, handler) => {
      const run = runs.get(invocationKey(request.state.messages, request.runtime.configurable?.thread_id));
      if (run === undefined || run.ended) return handler(request);
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
  });
}

/** The middleware type `augserve()` returns. */
export type AugServeMiddleware = ReturnType<typeof buildMiddleware>;
