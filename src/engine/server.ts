/**
 * `startEngineServer()`: the real engine as an OpenAI-compatible HTTP server with the simulator's surface
 * (`POST /v1/chat/completions` streamed or not, tools, usage; `GET /v1/models`, `/health`, `/metrics` with
 * llama.cpp server's metric names).
 */
import { basename } from "node:path";
import { z } from "zod";
import { type ScriptedServer, ScriptedServerShape, scriptedModelOf } from "../script/server.js";
import { parseWith } from "../util/index.js";
import { WireLimitsShape } from "../wire/body.js";
import { ListenShape, type ServedOpenAI, serveOpenAI } from "../wire/serve.js";
import { handleEngineCompletion } from "./completions.js";
import { LlamaEngine } from "./engine.js";
import { EngineOptionsError, EngineRequestError } from "./errors.js";
import { loadModel } from "./llama.js";
import { ContextTokensSchema } from "./make-model.js";
import { createEngineMetrics } from "./metrics.js";
import { PromptTokenizer } from "./tokenize.js";

export const EngineServerOptionsSchema = z
  .object({
    /** Path of a GGUF model file (e.g. one written by `augserve make-model`). */
    modelPath: z.string().min(1),
    /** Sequences decoded together (llama.cpp's `--parallel`), 1..256. @default 4 */
    parallel: z.number().int().min(1).max(256).default(4),
    /** KV cells of one sequence (prompt + output of one request), 64..1M. @default 4096 */
    contextSize: ContextTokensSchema.default(4096),
    /** CPU threads of llama.cpp; keep 1 on small shared machines (more oversubscribes). @default 1 */
    threads: z.number().int().min(1).max(256).default(1),
    /** `port` (@default 0: a free one) and `host` (@default "127.0.0.1"). */
    ...ListenShape,
    /** The scripted model: `seed` (@default 0), `scripts` (@default []), `defaultAnswerTokens` (@default 64). */
    ...ScriptedServerShape,
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

/**
 * The engine's server: where it listens (`url`, `baseURL`, `metricsUrl`, `port`) and its engine.
 * Its `close()` stops listening, aborts open requests and frees the model.
 */
export type EngineServer = ScriptedServer<LlamaEngine>;

export async function startEngineServer(options: EngineServerOptions): Promise<EngineServer> {
  const o = parseWith(
    EngineServerOptionsSchema,
    options,
    (issues, cause) => new EngineOptionsError("engine server", cause, issues),
  );
  const loaded = await loadModel(o);
  const engine = new LlamaEngine(loaded, o.contextSize);
  const model = scriptedModelOf(o);
  const registry = createEngineMetrics(engine);
  const servedModel = o.modelName ?? basename(o.modelPath).replace(/\.gguf$/i, "");
  const tokenizer = new PromptTokenizer(loaded.model, o.modelPath);
  const ctx = { engine, tokenizer, model, servedModel };

  let served: ServedOpenAI;
  try {
    served = await serveOpenAI(o, {
      // max_tokens is validated against the model's trained length (as llama.cpp accepts any n_predict); a
      // reply is cut to the room left in its sequence, finish reason "length".
      maxModelLen: Math.max(loaded.model.trainContextSize, o.contextSize),
      handle: (body, res) => handleEngineCompletion(ctx, body, res),
      contextLengthError: EngineRequestError,
      registry,
      healthBody: { status: "ok" },
      model: {
        id: servedModel,
        owned_by: "augserve-engine",
        meta: { n_ctx: o.contextSize, n_parallel: o.parallel, n_ctx_train: loaded.model.trainContextSize },
      },
    });
  } catch (error) {
    await tokenizer.close();
    await engine.close();
    throw error;
  }
  return {
    ...served.address,
    engine,
    registerScripts: (scripts) => model.register(scripts),
    async close() {
      // Open responses close -> their requests abort and free their slots.
      await served.close();
      await tokenizer.close();
      await engine.close();
    },
  };
}
