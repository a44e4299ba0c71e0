/**
 * `startEngineServer()`: the real engine as an OpenAI-compatible HTTP server with the simulator's surface
 * (`POST /v1/chat/completions` streamed or not, tools, usage; `GET /v1/models`, `/health`, `/metrics` with
 * llama.cpp server's metric names).
 */
import { createServer } from "node:http";
import { basename } from "node:path";
import { z } from "zod";
import { ScriptedModel } from "../script/scripted-model.js";
import type { ConversationScript } from "../script/types.js";
import { parseWith } from "../util/index.js";
import { WireLimitsShape } from "../wire/body.js";
import { chatCompletionRoute, listen, openAIRequestListener } from "../wire/http.js";
import { chatCompletionBodySchema } from "../wire/schema.js";
import { handleEngineCompletion } from "./completions.js";
import { LlamaEngine } from "./engine.js";
import { EngineOptionsError, EngineRequestError } from "./errors.js";
import { loadModel } from "./llama.js";
import { createEngineMetrics } from "./metrics.js";
import { PromptTokenizer } from "./tokenize.js";

export const EngineServerOptionsSchema = z
  .object({
    /** Path of a GGUF model file (e.g. one written by `augserve make-model`). */
    modelPath: z.string().min(1),
    /** Sequences decoded together (llama.cpp's `--parallel`), 1..256. @default 4 */
    parallel: z.number().int().min(1).max(256).default(4),
    /** KV cells of one sequence (prompt + output of one request), 64..1M. @default 4096 */
    contextSize: z
      .number()
      .int()
      .min(64)
      .max(1 << 20)
      .default(4096),
    /** CPU threads of llama.cpp; keep 1 on small shared machines (more oversubscribes). @default 1 */
    threads: z.number().int().min(1).max(256).default(1),
    /** TCP port; 0 picks a free one. @default 0 */
    port: z.number().int().min(0).max(65_535).default(0),
    /** Interface to listen on. @default "127.0.0.1" */
    host: z.string().min(1).default("127.0.0.1"),
    /** Seed of the scripted text. @default 0 */
    seed: z.number().int().default(0),
    /** Conversation scripts the replies follow (more with `registerScripts`). @default [] */
    scripts: z.array(z.custom<ConversationScript>((v) => typeof v === "object" && v !== null)).default([]),
    /** Tokens decoded for an unknown conversation (max_tokens cuts it). @default 64 */
    defaultAnswerTokens: z.number().int().min(1).default(64),
    /** Body limits: `maxBodyBytes` (@default 4 MiB) and `maxJsonDepth` (@default 64); see docs/limits.md. */
    ...WireLimitsShape,
    /** Model id in `/v1/models`. @default the file's name without `.gguf` */
    modelName: z.string().min(1).optional(),
  })
  .strict();

/**
 * @example
 * const engine = await startEngineServer({ modelPath: "tiny.gguf", parallel: 4 });
 * const client = new OpenAI({ baseURL: engine.baseURL, apiKey: "engine" });
 */
export type EngineServerOptions = z.input<typeof EngineServerOptionsSchema>;

export interface EngineServer {
  /** `http://host:port` */
  url: string;
  /** `http://host:port/v1`: what OpenAI clients take as base URL. */
  baseURL: string;
  /** `http://host:port/metrics` */
  metricsUrl: string;
  port: number;
  /** Adds conversation scripts (e.g. the runs of a workload). */
  registerScripts(scripts: Iterable<ConversationScript>): void;
  engine: LlamaEngine;
  /** Stops listening, aborts open requests, frees the model. */
  close(): Promise<void>;
}

export async function startEngineServer(options: EngineServerOptions): Promise<EngineServer> {
  const o = parseWith(
    EngineServerOptionsSchema,
    options,
    (issues, cause) => new EngineOptionsError("engine server", cause, issues),
  );
  const loaded = await loadModel(o);
  const engine = new LlamaEngine(loaded, o.contextSize);
  const model = new ScriptedModel({ seed: o.seed, defaultAnswerTokens: o.defaultAnswerTokens });
  model.register(o.scripts);
  const registry = createEngineMetrics(engine);
  const servedModel = o.modelName ?? basename(o.modelPath).replace(/\.gguf$/i, "");
  // max_tokens is validated against the model's trained length (as llama.cpp accepts any n_predict); a reply
  // is cut to the room left in its sequence, finish reason "length".
  const bodySchema = chatCompletionBodySchema(Math.max(loaded.model.trainContextSize, o.contextSize));
  const tokenizer = new PromptTokenizer(loaded.model, o.modelPath);
  const ctx = { engine, tokenizer, model, servedModel };
  const created = Math.floor(Date.now() / 1000);

  const onCompletion = chatCompletionRoute({
    limits: { maxBodyBytes: o.maxBodyBytes, maxJsonDepth: o.maxJsonDepth, schema: bodySchema },
    handle: (body, res) => handleEngineCompletion(ctx, body, res),
    contextLengthError: EngineRequestError,
  });

  const server = createServer(
    openAIRequestListener({
      onCompletion,
      registry,
      healthBody: { status: "ok" },
      model: {
        id: servedModel,
        object: "model",
        created,
        owned_by: "augserve-engine",
        meta: { n_ctx: o.contextSize, n_parallel: o.parallel, n_ctx_train: loaded.model.trainContextSize },
      },
    }),
  );
  server.keepAliveTimeout = 30_000;

  let bound: { port: number; url: string };
  try {
    bound = await listen(server, o.port, o.host);
  } catch (error) {
    await tokenizer.close();
    await engine.close();
    throw error;
  }
  const { port, url } = bound;
  return {
    url,
    baseURL: `${url}/v1`,
    metricsUrl: `${url}/metrics`,
    port,
    engine,
    registerScripts: (scripts) => model.register(scripts),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Open responses close -> their requests abort and free their slots.
      server.closeAllConnections();
      await closed;
      await tokenizer.close();
      await engine.close();
    },
  };
}
