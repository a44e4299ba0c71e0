/**
 * `POST /v1/chat/completions` through the gateway: authenticate, read the body within its limits, find the
 * run, place the call, wait for admission in the chosen replica's scheduler, relay the upstream's answer,
 * and tell the run registry what came back. A call that failed before its first byte is placed once more,
 * on another replica; the client's disconnect aborts the upstream request and releases the budget at once.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { type CallAccounting, callSpec, type PlannedCall } from "../accounting/index.js";
import { AugServeOverloadedError, QueueFullError } from "../scheduler/errors.js";
import type { CallContext } from "../scheduler/types.js";
import type { BodyLimits } from "../wire/body.js";
import { readChatCompletionBody } from "../wire/http.js";
import type { chatCompletionBodySchema } from "../wire/schema.js";
import { promptText, requestSize } from "./conversation.js";
import {
  isJsonContentType,
  noReplicaError,
  overloadedError,
  unsupportedMediaTypeError,
  upstreamFailedError,
} from "./errors.js";
import { type ClientAuth, type RunHints, readHints } from "./hints.js";
import type { GatewayMetrics } from "./metrics.js";
import type { ResolvedGatewayOptions } from "./options.js";
import type { PlacementDecision, Placer } from "./placement/placer.js";
import { hashText, TEXT_BLOCK_CHARS, textBlockHashes } from "./placement/prefix-index.js";
import { relay, UpstreamError, UpstreamRefusedError } from "./relay.js";
import type { Replica } from "./replica.js";
import type { ReplyObserver } from "./reply.js";
import { type GatewayRun, RunRegistry } from "./runs.js";

export interface CompletionDeps {
  options: ResolvedGatewayOptions;
  limits: BodyLimits & { schema: ReturnType<typeof chatCompletionBodySchema> };
  auth: ClientAuth;
  replicas: readonly Replica[];
  /** `undefined` with `placement: "none"`. */
  placer: Placer | undefined;
  runs: RunRegistry;
  /** The token accounting the middleware and the virtual bench use (src/accounting): one view. */
  accounting: CallAccounting;
  metrics: GatewayMetrics;
}

const USAGE_FIELD = Buffer.from('"stream_options":{"include_usage":true},');

/**
 * The body with `stream_options.include_usage` asked for, as the first field (the body's own bytes
 * untouched after it), so the gateway learns the replica's token counts; the usage chunk is then dropped
 * before the client sees it. Only for bodies without a `stream_options` field.
 */
function withUsage(raw: Buffer): Buffer {
  const open = raw.indexOf(0x7b);
  return Buffer.concat([raw.subarray(0, open + 1), USAGE_FIELD, raw.subarray(open + 1)]);
}

/** A call as the handler carries it between attempts. */
interface CallPlan {
  run: GatewayRun;
  hints: RunHints;
  blocks: number[];
  /** What src/accounting planned for the call (prompt tokens; cached tokens on the run's replica). */
  planned: PlannedCall;
  chain: number[];
  body: Buffer;
  stream: boolean;
  stripUsage: boolean;
  arrivedMs: number;
}

export class CompletionHandler {
  readonly #d: CompletionDeps;

  constructor(deps: CompletionDeps) {
    this.#d = deps;
  }

  readonly route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const d = this.#d;
    // Counted when the answer is done, whoever wrote it (this handler, or the listener for a thrown error).
    res.once("close", () => d.metrics.requests.inc({ status: String(res.statusCode) }));
    d.auth.check(req.headers);
    // Before the body is read; the listener closes the connection rather than drain it.
    if (!isJsonContentType(req.headers["content-type"])) throw unsupportedMediaTypeError();
    const { body, raw } = await readChatCompletionBody(req, d.limits);
    const hints = readHints(
      req.headers,
      d.options.tenantHeader,
      (body as { session_id?: unknown }).session_id,
    );
    const size = requestSize(body);
    const { run, source, chain } = d.runs.resolve(body, hints, d.accounting.runPromptTokens(size));
    const planned = d.accounting.plan(run, body.model ?? "", size);
    d.metrics.identity.inc({ source });
    const stream = body.stream === true;
    const stripUsage = stream && !Object.hasOwn(body, "stream_options");
    const plan: CallPlan = {
      run,
      hints,
      blocks: d.placer === undefined ? [] : textBlockHashes(promptText(body)),
      planned,
      chain,
      body: stripUsage ? withUsage(raw) : raw,
      stream,
      stripUsage,
      arrivedMs: performance.now(),
    };
    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished)
        abort.abort(new DOMException("The client closed the connection", "AbortError"));
    };
    res.on("close", onClose);
    d.runs.callStarts(run);
    let succeeded = false;
    try {
      await this.#attempts(plan, res, abort.signal);
      succeeded = true;
    } catch (error) {
      this.#answerFailure(error, plan, res, abort.signal);
    } finally {
      res.off("close", onClose);
      if (!succeeded) d.runs.callFailed(run, abort.signal.aborted ? "abandoned" : "error");
    }
  };

  async #attempts(plan: CallPlan, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const d = this.#d;
    const tried = new Set<number>();
    let lastError: UpstreamError | undefined;
    for (let attempt = 0; ; attempt++) {
      const decision = this.#place(plan, tried);
      // With no other replica to retry on, the client gets the replica's own error, not a 503 of ours.
      if (decision === null) throw lastError ?? noReplicaError();
      const replica = d.replicas[decision.replica] as Replica;
      d.metrics.routing.inc({
        replica: String(replica.index),
        reason: attempt > 0 ? "retry" : decision.reason,
      });
      try {
        const observer = await this.#callOn(replica, decision, plan, res, signal);
        replica.succeeded();
        const usage = observer.usage;
        d.accounting.settle(plan.run, plan.planned, {
          outputTokens: observer.outputTokens(),
          ...(usage?.promptTokens === undefined ? {} : { promptTokens: usage.promptTokens }),
          ...(usage?.cachedTokens === undefined ? {} : { cachedPromptTokens: usage.cachedTokens }),
        });
        d.runs.callSucceeded(plan.run, {
          replica: replica.index,
          finishReason: observer.finishReason,
          turn: observer.turn,
          outputTokens: observer.outputTokens(),
          promptTokens: usage?.promptTokens ?? plan.planned.promptTokens,
          chain: plan.chain,
        });
        return;
      } catch (error) {
        if (!(error instanceof UpstreamError) || signal.aborted) throw error;
        replica.failed(error.connection, error.message);
        if (!error.retryable || attempt > 0) throw error;
        lastError = error;
        tried.add(replica.index);
        d.metrics.retries.inc();
      }
    }
  }

  #place(plan: CallPlan, tried: ReadonlySet<number>): (PlacementDecision & { matched: number }) | null {
    const d = this.#d;
    if (d.placer === undefined) {
      const only = d.replicas[0] as Replica;
      return only.healthy && !tried.has(0)
        ? { replica: 0, reason: "round-robin", matchRatio: 0, matched: 0 }
        : null;
    }
    const loads = d.replicas.map((r) => {
      const load = r.load(d.runs.parkedTokens[r.index]);
      if (tried.has(r.index)) load.healthy = false;
      return load;
    });
    const matchedBlocks = d.replicas.map((r) => r.prefix.match(plan.blocks));
    const key = plan.blocks[0] ?? hashText(plan.run.context.systemPrompt);
    const tokens = plan.planned.promptTokens + RunRegistry.nextOutputTokens(plan.run);
    const affinity = plan.run.replica;
    const decision = d.placer.place(
      {
        ...(affinity === undefined ? {} : { affinity }),
        matchedBlocks,
        totalBlocks: plan.blocks.length,
        key,
        tokens,
      },
      loads,
    );
    return decision === null ? null : { ...decision, matched: matchedBlocks[decision.replica] ?? 0 };
  }

  /**
   * Prompt tokens the replica probably has cached: on the run's previous replica, what src/accounting planned
   * (the previous call's prompt and output, times the learned hit rate); elsewhere, the prefix the replica's
   * index matched, in the model's calibrated tokens.
   */
  #cachedTokens(replica: Replica, matchedBlocks: number, plan: CallPlan): number {
    const planned = plan.planned;
    if (plan.run.replica === replica.index && planned.reusablePrefixTokens > 0)
      return planned.cachedPromptTokens;
    const a = this.#d.accounting;
    const matched = Math.round(
      ((matchedBlocks * TEXT_BLOCK_CHARS) / a.charsPerToken) * a.ratio(planned.model),
    );
    return Math.max(0, Math.min(planned.promptTokens, Math.max(matched, planned.cachedPromptTokens)));
  }

  async #callOn(
    replica: Replica,
    decision: PlacementDecision & { matched: number },
    plan: CallPlan,
    res: ServerResponse,
    signal: AbortSignal,
  ): Promise<ReplyObserver> {
    const d = this.#d;
    const run = plan.run;
    const handle = d.runs.handleFor(run, replica.index);
    const cachedPromptTokens = this.#cachedTokens(replica, decision.matched, plan);
    const spec = { ...callSpec(plan.planned), cachedPromptTokens };
    const charge = spec.promptTokens - cachedPromptTokens + RunRegistry.nextOutputTokens(run);
    replica.queuedTokens += charge;
    let queued = true;
    const dequeue = () => {
      if (!queued) return;
      queued = false;
      replica.queuedTokens -= charge;
    };
    const label = { replica: String(replica.index) };
    const queuedAt = performance.now();
    try {
      return await handle.call(
        spec,
        async (ctx: CallContext) => {
          dequeue();
          d.metrics.admissions.inc(label);
          d.metrics.queueWait.observe(label, (performance.now() - queuedAt) / 1000);
          replica.prefix.insert(plan.blocks);
          let first = true;
          const observed: CallContext = {
            runId: ctx.runId,
            callId: ctx.callId,
            priority: ctx.priority,
            signal: ctx.signal,
            onFirstToken: () => ctx.onFirstToken(),
            onTokens: (count) => {
              if (first) {
                first = false;
                d.metrics.ttft.observe(label, (performance.now() - plan.arrivedMs) / 1000);
              }
              ctx.onTokens(count);
            },
            setResult: (result) => ctx.setResult(result),
          };
          const observer = await relay({
            replica,
            body: plan.body,
            stream: plan.stream,
            stripUsage: plan.stripUsage,
            headers: this.#upstreamHeaders(plan, replica),
            signal,
            res,
            ctx: observed,
            timeoutMs: d.options.upstreamHeadersTimeoutMs,
            maxEventBytes: d.options.maxSseEventBytes,
          });
          const usage = observer.usage;
          ctx.setResult({
            outputTokens: observer.outputTokens(),
            ...(usage?.promptTokens === undefined ? {} : { promptTokens: usage.promptTokens }),
            ...(usage?.cachedTokens === undefined ? {} : { cachedPromptTokens: usage.cachedTokens }),
          });
          return observer;
        },
        { signal },
      );
    } finally {
      dequeue();
    }
  }

  #upstreamHeaders(plan: CallPlan, replica: Replica): Record<string, string> {
    const o = this.#d.options;
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: plan.stream ? "text/event-stream" : "application/json",
    };
    // The replica's own credentials (its URL's user:pass@) unless the operator set one key for all.
    if (replica.authorization !== undefined) headers.authorization = replica.authorization;
    if (o.upstreamApiKey !== undefined) headers.authorization = `Bearer ${o.upstreamApiKey}`;
    if (o.placement === "none") {
      // llm-d's endpoint picker / the Gateway API Inference Extension read these (docs/gateway.md).
      headers["x-gateway-inference-objective"] = o.inferenceObjectives[plan.run.priorityClass];
      headers["x-gateway-inference-fairness-id"] = plan.run.tenant ?? "default-flow";
    }
    return headers;
  }

  /** Answers a failed call; what the listener should answer is rethrown as a WireRequestError. */
  #answerFailure(error: unknown, plan: CallPlan, res: ServerResponse, signal: AbortSignal): void {
    if (signal.aborted) return; // the client is gone; nothing to answer
    if (error instanceof UpstreamRefusedError) {
      // Already relayed. A new run refused at once (a prompt the replica cannot take) is not kept.
      if (plan.run.outputsPerCall.length === 0 && error.status !== 429) this.#d.runs.end(plan.run, "error");
      return;
    }
    if (error instanceof UpstreamError) {
      if (res.headersSent) return; // the stream ended with an error event
      if (error.status !== undefined && error.body !== undefined) {
        res
          .writeHead(error.status, { "content-type": error.contentType ?? "application/json" })
          .end(error.body);
        return;
      }
      throw upstreamFailedError(error.message);
    }
    const refused = error instanceof AugServeOverloadedError || error instanceof QueueFullError;
    // A run refused at its first call is over (it counts as a miss); a later call's refusal leaves it open.
    if (refused && plan.run.outputsPerCall.length === 0) this.#d.runs.end(plan.run, "error");
    if (error instanceof AugServeOverloadedError) throw overloadedError(error.message, error.retryAfterMs);
    if (error instanceof QueueFullError) throw overloadedError(error.message, 1000);
    throw error;
  }
}
