/**
 * `startSimServer()`: the simulator as an OpenAI-compatible HTTP server on node:http.
 *
 * Routes: `POST /v1/chat/completions`, `GET /v1/models`, `GET /health`, `GET /metrics` (Prometheus, vLLM names).
 * Bad requests get OpenAI's JSON error with status 400 and never reach the engine.
 */
import { createServer } from "node:http";
import { z } from "zod";
import { ScriptedModel } from "../../script/scripted-model.js";
import { parseWith } from "../../util/index.js";
import { WireLimitsShape } from "../../wire/body.js";
import { chatCompletionRoute, listen, openAIRequestListener, reportInternalError } from "../../wire/http.js";
import { chatCompletionBodySchema } from "../../wire/schema.js";
import { Engine } from "../engine/engine.js";
import { SCHEDULING_POLICIES } from "../engine/request-queue.js";
import { SimOptionsError, SimRequestError } from "../errors.js";
import type { ConversationScript } from "../types.js";
import { handleChatCompletion } from "./completions.js";
import { WallClockDriver } from "./driver.js";
import { SimMetrics } from "./metrics.js";

export const SimServerOptionsSchema = z
  .object({
    /** TCP port; 0 picks a free one. @default 0 */
    port: z.number().int().min(0).max(65_535).default(0),
    /** Interface to listen on. @default "127.0.0.1" */
    host: z.string().min(1).default("127.0.0.1"),
    /** Simulator profile (see `SIM_PROFILES`). @default "llama3-8b-h100" */
    profile: z.string().default("llama3-8b-h100"),
    /** @default "fcfs" */
    schedulingPolicy: z.enum(SCHEDULING_POLICIES).default("fcfs"),
    /** Real time runs this many times faster than the simulated GPU (10 = ten times faster). @default 1 */
    timeScale: z.number().positive().max(1e6).default(1),
    /** Seed of the generated text. @default 0 */
    seed: z.number().int().default(0),
    /** Conversation scripts the simulated model follows (more with `registerScripts`). @default [] */
    scripts: z.array(z.custom<ConversationScript>((v) => typeof v === "object" && v !== null)).default([]),
    /** Tokens of the answer to an unknown conversation (max_tokens cuts it). @default 64 */
    defaultAnswerTokens: z.number().int().min(1).default(64),
    /** Body limits: `maxBodyBytes` (@default 4 MiB) and `maxJsonDepth` (@default 64); see docs/limits.md. */
    ...WireLimitsShape,
    /** API-server time per request before it reaches the engine, simulated ms. @default the profile's */
    serverOverheadMs: z.number().nonnegative().optional(),
    /** Engine overrides (see `EngineOptions`). */
    kvCapacityTokens: z.number().int().positive().optional(),
    maxNumSeqs: z.number().int().positive().optional(),
    maxNumBatchedTokens: z.number().int().positive().optional(),
  })
  .strict();

/**
 * @example
 * const sim = await startSimServer({ timeScale: 10 });
 * const client = new OpenAI({ baseURL: sim.baseURL, apiKey: "sim" });
 */
export type SimServerOptions = z.input<typeof SimServerOptionsSchema>;

export interface SimServer {
  /** `http://host:port` */
  url: string;
  /** `http://host:port/v1`: what OpenAI clients take as base URL. */
  baseURL: string;
  /** `http://host:port/metrics` */
  metricsUrl: string;
  port: number;
  /** Adds conversation scripts (e.g. the runs of a workload). */
  registerScripts(scripts: Iterable<ConversationScript>): void;
  engine: Engine;
  /** Stops listening, drops open streams and requests. Resolves when the socket is closed. */
  close(): Promise<void>;
}

export async function startSimServer(options: SimServerOptions = {}): Promise<SimServer> {
  const o = parseWith(
    SimServerOptionsSchema,
    options,
    (issues, cause) => new SimOptionsError("sim server", cause, issues),
  );
  const engine = new Engine({
    profile: o.profile,
    schedulingPolicy: o.schedulingPolicy,
    kvCapacityTokens: o.kvCapacityTokens,
    maxNumSeqs: o.maxNumSeqs,
    maxNumBatchedTokens: o.maxNumBatchedTokens,
  });
  const profile = engine.options.profile;
  const model = new ScriptedModel({ seed: o.seed, defaultAnswerTokens: o.defaultAnswerTokens });
  model.register(o.scripts);
  const metrics = new SimMetrics(engine, profile.modelName);
  const driver = new WallClockDriver(engine, {
    timeScale: o.timeScale,
    overheadMs: o.serverOverheadMs ?? profile.serverOverheadMs,
  });
  const bodySchema = chatCompletionBodySchema(engine.options.maxModelLen);
  const ctx = {
    driver,
    model,
    metrics,
    servedModel: profile.modelName,
    onStreamError: (error: unknown) => reportInternalError(error, "POST /v1/chat/completions (stream)"),
  };
  const created = Math.floor(Date.now() / 1000);

  const onCompletion = chatCompletionRoute({
    limits: { maxBodyBytes: o.maxBodyBytes, maxJsonDepth: o.maxJsonDepth, schema: bodySchema },
    handle: (body, res) => handleChatCompletion(ctx, body, res),
    contextLengthError: SimRequestError,
  });

  const server = createServer(
    openAIRequestListener({
      onCompletion,
      registry: metrics.registry,
      model: {
        id: profile.modelName,
        object: "model",
        created,
        owned_by: "augserve-sim",
        root: profile.modelName,
        max_model_len: engine.options.maxModelLen,
      },
    }),
  );
  server.keepAliveTimeout = 30_000;

  const { port, url } = await listen(server, o.port, o.host);
  return {
    url,
    baseURL: `${url}/v1`,
    metricsUrl: `${url}/metrics`,
    port,
    engine,
    registerScripts: (scripts) => model.register(scripts),
    close: () =>
      new Promise<void>((resolve) => {
        driver.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
