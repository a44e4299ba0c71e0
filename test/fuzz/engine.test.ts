/**
 * Fuzzing the real engine's HTTP surface (test/support/http-fuzz.ts), llama.cpp through node-llama-cpp on the
 * generated tiny model: every request answered 200 or 400 within a bound, `/health` fast meanwhile (large
 * prompts tokenize in the worker), the server up afterwards. FC_RUNS raises the batch count.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EngineServer, startEngineServer } from "../../src/engine/server.js";
import { tinyModel } from "../engine/helpers.js";
import { fuzzOpenAIServer } from "../support/http-fuzz.js";
import { waitFor } from "../support/wait.js";

let model: Awaited<ReturnType<typeof tinyModel>>;
let server: EngineServer;
beforeAll(async () => {
  model = await tinyModel();
  server = await startEngineServer({ modelPath: model.path, parallel: 4, contextSize: 1024 });
});
afterAll(async () => {
  await server?.close();
  await model?.dispose();
});

describe("startEngineServer() - fuzzed requests", () => {
  it("answers every fuzzed request 200 or 400 in time, stays up, and /health stays fast", async () => {
    const { statuses, healthMaxMs, healthBlockedMaxMs } = await fuzzOpenAIServer({
      url: server.url,
      numRuns: Number(process.env.FC_RUNS ?? 25),
      // The engine works for real on one CPU thread (its tokenizer worker loads node-llama-cpp on first use),
      // so on a busy machine an answer takes many times its quiet time (a batch exceeded 10 s with one core
      // kept busy and the other shared): this bound only tells a hang (no answer at all) from slowness.
      answerBoundMs: 60_000,
    });
    console.info(
      "engine fuzz: answers by status",
      statuses,
      `/health max ${healthMaxMs.toFixed(0)} ms (blocked ${healthBlockedMaxMs.toFixed(0)} ms)`,
    );
    expect(statuses[200]).toBeGreaterThan(0);
    expect(statuses[400]).toBeGreaterThan(0);
    await waitFor(() => server.engine.stats().processing === 0);
  }, 120_000);
});
