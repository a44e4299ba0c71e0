/**
 * `startSimServer()`: the simulator as an OpenAI-compatible HTTP server on node:http.
 *
 * Routes: `POST /v1/chat/completions`, `GET /v1/models`, `GET /health`, `GET /metrics` (Prometheus, vLLM names).
 * Bad requests get OpenAI's JSON error with status 400 and never reach the engine.
 */
import { z } from "zod";
import { type ScriptedServer, ScriptedServerShape, scriptedModelOf } from "../../script/server.js";
import { parseWith } from "../../util/index.js";
import { WireLimitsShape } from "../../wire/body.js";
import { reportInternalError } from "../../wire/http.js";
import { ListenShape, serveOpenAI } from "../../wire/serve.js";
import { Engine } from "../engine/engine.js";
import { SCHEDULING_POLICIES } from "../engine/request-queue.js";
import { SimOptionsError, SimRequestError } from "../errors.js";
import { handleChatCompletion } from "./completions.js";
import { WallClockDriver } from "./driver.js";
import { SimMetrics } from "./metrics.js";

export const SimServerOptionsSchema = z
  .object({
    /** `port` (@default 0: a free one) and `host` (@default "127.0.0.1"). */
    ...ListenShape,
    /** Simulator profile (see `SIM_PROFILES`). @default "llama3-8b-h100" */
    profile: z.string().default("llama3-8b-h100"),
    /** @default "fcfs" */
    schedulingPolicy: z.enum(SCHEDULING_POLICIES).default("fcfs"),
    /** Real time runs this many times faster than the simulated GPU (10 = ten times faster). @default 1 */
    timeScale: z.number().positive().max(1e6).default(1),
    /** The scripted model: `seed` (@default 0), `scripts` (@default []), `defaultAnswerTokens` (@default 64). */
    ...ScriptedServerShape,
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

/**
 * The simulator's server: where it listens (`url`, `baseURL`, `metricsUrl`, `port`) and its engine.
 * Its `close()` stops listening and drops open streams and requests; it resolves when the socket is closed.
 */
export type SimServer = ScriptedServer<Engine>;

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
  const model = scriptedModelOf(o);
  const metrics = new SimMetrics(engine, profile.modelName);
  const driver = new WallClockDriver(engine, {
    timeScale: o.timeScale,
    overheadMs: o.serverOverheadMs ?? profile.serverOverheadMs,
  });
  const ctx = {
    driver,
    model,
    metrics,
    servedModel: profile.modelName,
    onStreamError: (error: unknown) => reportInternalError(error, "POST /v1/chat/completions (stream)"),
  };

  const served = await serveOpenAI(o, {
    maxModelLen: engine.options.maxModelLen,
    handle: (body, res) => handleChatCompletion(ctx, body, res),
    contextLengthError: SimRequestError,
    registry: metrics.registry,
    model: {
      id: profile.modelName,
      owned_by: "augserve-sim",
      root: profile.modelName,
      max_model_len: engine.options.maxModelLen,
    },
  });
  return {
    ...served.address,
    engine,
    registerScripts: (scripts) => model.register(scripts),
    close: () => {
      driver.close();
      return served.close();
    },
  };
}
