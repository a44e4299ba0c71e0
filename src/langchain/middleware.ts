/**
 * `augserve()`: the LangChain v1 agent middleware. One line puts an agent's model calls behind the
 * AugServe scheduler:
 *
 * ```ts
 * const agent = createAgent({ model, tools, middleware: [augserve()] });
 * ```
 *
 * One wrap hook (`wrapModelCall`) and no graph node: every node hook (`beforeAgent`, `afterAgent`,
 * `afterModel`) costs the agent a graph step per invocation or per call (see docs/langchain.md, "Overhead").
 * A `wrapToolCall` hook only with an opt-in `toolErrors` policy: LangChain makes a tool exception fatal as
 * soon as any such hook is in the agent. Run boundaries come from the invocation the hooks run in, the
 * signals of its graph steps and the end of its graph run (`lifecycle.ts`, `graph-end.ts`); the model call's abort signal, its first-token observer and
 * (with `serverPriority`) its priority reach the model through the request's `modelSettings`, which the agent
 * binds to the model with the tools, so the agent's model, profile and structured-output strategy stay its own.
 */
import { ToolMessage } from "@langchain/core/messages";
import type { ToolCall } from "@langchain/core/messages/tool";
import { createMiddleware, ToolInvocationError } from "langchain";
import type { AugServe } from "./augserve.js";
import { type ActiveCall, bindCall } from "./call-model.js";
import { AugServeChatModel } from "./chat-model.js";
import { readInvocation } from "./invocation.js";
import { InvocationRuns } from "./lifecycle.js";
import { readContextSettings } from "./options.js";
import { withPriority } from "./priority.js";
import { type ResponseView, readResponse } from "./responses.js";
import type { TrackedRun } from "./run-state.js";
import { downloadsTokenizer } from "./token-counts.js";
import type { BindableTool } from "./tokens.js";

/** Name of the middleware in the agent graph. */
export const AUGSERVE_MIDDLEWARE_NAME = "augserve";

function modelNameOf(model: unknown): string {
  const m = model as { model?: unknown; modelName?: unknown; _llmType?: () => string };
  if (typeof m.model === "string") return m.model;
  if (typeof m.modelName === "string") return m.modelName;
  return typeof m._llmType === "function" ? m._llmType() : "unknown";
}

/** LangGraph control-flow errors (interrupts, parent commands) that must pass through untouched. */
const BUBBLE_UP = new Set(["GraphInterrupt", "NodeInterrupt", "ParentCommand", "GraphBubbleUp"]);

/**
 * `toolErrors: "message"`: the error ToolMessage the agent's default handler makes without middleware, or
 * undefined for what must pass through (an abort, LangGraph control flow, a tool-input error LangChain
 * handles itself).
 */
function toolErrorMessage(
  error: unknown,
  call: ToolCall,
  signal: AbortSignal | undefined,
): ToolMessage | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  if (
    signal?.aborted ||
    ToolInvocationError.isInstance(error) ||
    (typeof name === "string" && BUBBLE_UP.has(name))
  ) {
    return undefined;
  }
  return new ToolMessage({
    content: `${error}\n Please fix your mistakes.`,
    tool_call_id: call.id ?? "",
    name: call.name,
    status: "error",
  });
}

/** Names of the `returnDirect` tools of an agent's tool list, cached per list (the agent passes the same one). */
const returnDirectCache = new WeakMap<readonly unknown[], ReadonlySet<string>>();
function returnDirectTools(tools: readonly unknown[]): ReadonlySet<string> {
  let names = returnDirectCache.get(tools);
  if (names === undefined) {
    const found = new Set<string>();
    for (const tool of tools) {
      const t = tool as { name?: unknown; returnDirect?: unknown };
      if (t.returnDirect === true && typeof t.name === "string") found.add(t.name);
    }
    names = found;
    returnDirectCache.set(tools, names);
  }
  return names;
}

/** Whether a tool call's result lets the agent leave its loop after a `returnDirect` tool (LangChain's rule). */
function endsAgent(result: unknown): boolean {
  if (!ToolMessage.isInstance(result)) return false;
  return result.status !== "error" && typeof result.name === "string" && result.name !== "";
}

/** The request with one admitted call's signal, first-token observer and priority bound to its model. */

function withCall<R extends { model: unknown }>(request: R, model: object, call: ActiveCall): R {
  const chosen = call.priority === undefined ? model : withPriority(model, call.priority);
  return { ...request, model: bindCall(chosen, call) };
}

/**
 * What the middleware warns about once per instance: the agent's model already wrapped by `withAugServe()` on
 * the same scheduler (the middleware then calls the inner model), a graph whose end it cannot see, and a
 * streaming model that downloads tiktoken's tables after every call.
 */
function modelChecks(aug: AugServe) {
  const warned = new Set<string>();
  const warnOnce = (key: string, message: string) => {
    if (warned.has(key)) return;
    warned.add(key);
    (aug.options.logger ?? console).warn(message);
  };
  return {
    /** Double scheduling guard: the agent's model is `withAugServe()` of this scheduler; call the model inside. */
    ownModel(model: object): object {
      if (!(model instanceof AugServeChatModel) || model.augserve.scheduler !== aug.scheduler) return model;
      warnOnce(
        "nested",
        "augserve(): the agent's model is wrapped by withAugServe() on the same scheduler as this middleware; " +
          "the middleware schedules its calls and the wrapper is bypassed (pass the plain model to createAgent).",
      );
      return model.wrapped;
    },
    /** Warns (once) about what the run's graph and model leave the middleware unable to see or cost it. */
    check(run: TrackedRun, model: object): void {
      if (!run.endsWithGraph)
        warnOnce(
          "graph-end",
          "augserve(): the end of this agent's graph run cannot be observed (a LangGraph without " +
            "Pregel._runLoop, or a second copy of @langchain/langgraph); a run that ends outside the " +
            "middleware's hooks is ended by the idle sweep after runIdleTimeoutMs.",
        );
      if (downloadsTokenizer(model))
        warnOnce(
          "tokenizer",
          "augserve(): this model has `streaming: true`; ChatOpenAI then counts tokens after every call with " +
            "tiktoken, which downloads its tables from tiktoken.pages.dev (offline, each call waits for it). " +
            "Stream with agent.stream(..., { streamMode: 'messages' }) instead, or apply localTokenCounts(model).",
        );
    },
  };
}

/**
 * After a model response: a final answer ends the run (an error message a retry or fallback middleware
 * answered with ends it at the graph's end, as an error, or here when that end cannot be seen); tool calls
 * open a tool round and park the run.
 */
function afterResponse(aug: AugServe, run: TrackedRun, read: ResponseView, tools: readonly unknown[]): void {
  if (read.final) {
    if (!run.lastCallFailed) aug.endRun(run, "ok");
    else if (!run.endsWithGraph) aug.endRun(run, "error");
  } else if (read.toolCalls.length > 0 && !run.ended) {
    const last = read.toolCalls.at(-1)!;
    run.openRound(
      read.toolCalls.map((c) => c.id),
      read.toolCalls.map((c) => c.name),
      returnDirectTools(tools).has(last.name),
    );
    if (read.message !== undefined) run.lastResponse = { id: read.message.id, message: read.message };
    aug.parkRun(run);
  }
}

/** Builds the middleware of an AugServe instance (see `AugServe.middleware()` and `augserve()`). */
export function buildMiddleware(aug: AugServe) {
  const runs = new InvocationRuns(aug);
  const checks = modelChecks(aug);
  const passthrough = aug.options.toolErrors === "passthrough";
  return createMiddleware({
    name: AUGSERVE_MIDDLEWARE_NAME,
    wrapModelCall: async (request, handler) => {
      const view = readInvocation(request.runtime);
      // The content, not `.text` (a getter that joins content blocks, on every call).
      const content = request.systemMessage.content;
      const system = content.length === 0 ? undefined : request.systemMessage;
      const messages = system === undefined ? request.messages : [system, ...request.messages];
      const tools = request.tools as BindableTool[];
      const model = checks.ownModel(request.model as object);
      const run = runs.forModelCall(view, messages, () => {
        const settings = readContextSettings(request.runtime.context);
        return aug.beginRun({
          messages,
          tools,
          ...(view.threadId !== undefined ? { threadId: view.threadId } : {}),
          ...(settings?.priorityClass !== undefined ? { priorityClass: settings.priorityClass } : {}),
          ...(settings?.tenant !== undefined ? { tenant: settings.tenant } : {}),
        });
      });
      runs.watchInvocation(run, view);
      checks.check(run, model);
      let response: Awaited<ReturnType<typeof handler>>;
      // Read once, inside the call (for its usage and finish reason), and kept for what follows.
      let read: ResponseView | undefined;
      try {
        response = await aug.callModel(
          run,
          { messages, tools, modelName: modelNameOf(model) },
          (call) => Promise.resolve(handler(withCall(request, model, call))),
          request.runtime.signal,
          (result) => {
            read = readResponse(result);
            return read.message;
          },
        );
      } catch (error) {
        runs.watchStep(run, view);
        throw error;
      }
      afterResponse(aug, run, read ?? readResponse(response), request.tools);
      return response;
    },
    // By default no tool hook: LangChain makes a tool exception fatal as soon as any `wrapToolCall`
    // middleware is in the agent, so having one would change what an agent without other tool middleware does.
    wrapToolCall: passthrough
      ? undefined
      : async (request, handler) => {
          const view = readInvocation(request.runtime);
          const run = runs.forToolCall(view, request.toolCall.id);
          if (run === undefined) return handler(request);
          runs.watchInvocation(run, view);
          aug.toolStarted(run);
          const started = performance.now();
          let exits = false;
          try {
            const result = await handler(request);
            exits = endsAgent(result);
            return result;
          } catch (error) {
            const message =
              aug.options.toolErrors === "message"
                ? toolErrorMessage(error, request.toolCall, request.runtime.signal)
                : undefined;
            if (message !== undefined) return message;
            runs.watchStep(run, view);
            throw error;
          } finally {
            aug.toolFinished(
              run,
              request.toolCall.name,
              performance.now() - started,
              request.toolCall.id,
              exits,
            );
            if (run.exitsAfterTools) aug.endRun(run, "ok");
          }
        },
  });
}

/** The middleware type `augserve()` returns. */
export type AugServeMiddleware = ReturnType<typeof buildMiddleware>;
