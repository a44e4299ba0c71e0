/**
 * Issue 14, defect 2: the engine tokenized the whole prompt on the event loop before checking its length, in
 * time super-linear for some inputs (400k combining marks blocked `/health` for 13.9 s). Real HTTP, the real
 * engine (node-llama-cpp) on the generated tiny model. The bound on `/health` is generous (a shared 2-core
 * machine): it separates "answers between two tokenizer calls" from "blocked for seconds".
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EngineServer, startEngineServer } from "../../src/engine/server.js";
import { probeHealth } from "../support/health-probe.js";
import { tinyModel } from "./helpers.js";

let model: Awaited<ReturnType<typeof tinyModel>>;
let server: EngineServer;
beforeAll(async () => {
  model = await tinyModel();
  server = await startEngineServer({ modelPath: model.path, parallel: 2, contextSize: 2048 });
});
afterAll(async () => {
  await server?.close();
  await model?.dispose();
});

const HEALTH_BOUND_MS = 1_500;

async function ask(content: string): Promise<{ status: number; code: string | undefined }> {
  const res = await fetch(`${server.baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ messages: [{ role: "user", content }], max_tokens: 4 }),
  });
  const json = (await res.json()) as { error?: { code: string } };
  return { status: res.status, code: json.error?.code };
}

describe("startEngineServer() - prompt length is checked with bounded work", () => {
  it("issue 14 defect 2: 400k combining marks get 400 at once and /health stays responsive", async () => {
    const probe = probeHealth(server.url);
    await new Promise((r) => setTimeout(r, 60));
    const answers = await Promise.all([ask(`a${"\u0301".repeat(400_000)}`), ask("中".repeat(400_000))]);
    const { blockedMs, statuses } = await probe.stop();
    expect(answers).toEqual([
      { status: 400, code: "context_length_exceeded" },
      { status: 400, code: "context_length_exceeded" },
    ]);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(Math.max(...blockedMs)).toBeLessThan(HEALTH_BOUND_MS);
  });

  it("a prompt within the byte bound but over the context is tokenized off the event loop, then refused", async () => {
    // 20 KB of combining marks: under 2048 x 12 bytes (so it must be tokenized), 20,001 tokens (over 2048).
    const probe = probeHealth(server.url);
    const answers = await Promise.all(Array.from({ length: 3 }, () => ask(`a${"\u0301".repeat(10_000)}`)));
    const { blockedMs } = await probe.stop();
    expect(answers.every((a) => a.code === "context_length_exceeded")).toBe(true);
    expect(Math.max(...blockedMs)).toBeLessThan(HEALTH_BOUND_MS);
  });

  it("a large prompt that fits is served (tokenized in the worker)", async () => {
    const res = await fetch(`${server.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        messages: [{ role: "user", content: "assistant ".repeat(1_000) }],
        max_tokens: 3,
      }),
    });
    expect(res.status).toBe(200);
    const json = (await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
    expect(json.usage.prompt_tokens).toBeGreaterThan(1_000);
    expect(json.usage.completion_tokens).toBe(3);
  });
});
