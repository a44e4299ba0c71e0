/**
 * Fuzzing the simulator's HTTP surface (test/support/http-fuzz.ts): every request answered 200 or 400 within
 * a bound, `/health` fast meanwhile, the server up afterwards. FC_RUNS raises the batch count.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SimServer, startSimServer } from "../../src/sim/index.js";
import { fuzzOpenAIServer } from "../support/http-fuzz.js";

let sim: SimServer;
beforeAll(async () => {
  sim = await startSimServer({ timeScale: 200 });
});
afterAll(async () => {
  await sim?.close();
});

describe("startSimServer() - fuzzed requests", () => {
  it("answers every fuzzed request 200 or 400 in time, stays up, and /health stays fast", async () => {
    const { statuses, healthMaxMs, healthBlockedMaxMs } = await fuzzOpenAIServer({
      url: sim.url,
      numRuns: Number(process.env.FC_RUNS ?? 40),
    });
    console.info(
      "sim fuzz: answers by status",
      statuses,
      `/health max ${healthMaxMs.toFixed(0)} ms (blocked ${healthBlockedMaxMs.toFixed(0)} ms)`,
    );
    // The fuzz reaches the model, not only the validator.
    expect(statuses[200]).toBeGreaterThan(0);
    expect(statuses[400]).toBeGreaterThan(0);
    expect(sim.engine.stats().running).toBe(0);
  }, 120_000);
});
