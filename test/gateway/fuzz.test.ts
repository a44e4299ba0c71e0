/**
 * Fuzzing the gateway's HTTP surface (issue 14's rule for every server) with fast-check: random and
 * adversarial JSON (deep nesting, huge numbers, unicode edge cases, wrong types) and random headers. Every
 * request is answered within a bound with 200 or a 4xx JSON error, the gateway stays up, /health stays fast,
 * and afterwards nothing is left in flight.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeHealth } from "../support/health-probe.js";
import { fuzzOpenAIServer } from "../support/http-fuzz.js";
import { type Fleet, idle, startFleet, waitFor } from "./helpers.js";

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet(2, {}, 500);
});
afterAll(async () => {
  await fleet.close();
});

const weird = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("\u0000", "\ud800", "\u202e", "🧪".repeat(50), "a\u0301".repeat(30)),
);
const number = fc.oneof(fc.double(), fc.constantFrom(1e308, -0, 2 ** 53 + 1, 1e-320), fc.integer());
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    weird,
    number,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(weird, tie("value"), { maxKeys: 4 }),
  ),
})).value;
const message = fc.record(
  {
    role: fc.oneof(fc.constantFrom("system", "user", "assistant", "tool", "developer"), weird),
    content: fc.oneof(weird, json),
    tool_calls: fc.oneof(
      json,
      fc.array(
        fc.record({
          id: weird,
          type: fc.constant("function"),
          function: fc.record({ name: weird, arguments: weird }),
        }),
        { maxLength: 2 },
      ),
    ),
  },
  { requiredKeys: ["role"] },
);
const body = fc.oneof(
  fc
    .record(
      {
        messages: fc.oneof(fc.array(message, { minLength: 1, maxLength: 4 }), json),
        tools: fc.oneof(
          json,
          fc.array(
            fc.record({
              type: fc.constant("function"),
              function: fc.record({ name: weird, parameters: json }),
            }),
            { maxLength: 2 },
          ),
        ),
        stream: fc.oneof(fc.boolean(), json),
        max_tokens: fc.oneof(fc.integer({ min: -2, max: 8 }), number),
        stream_options: json,
        session_id: json,
      },
      { requiredKeys: [] },
    )
    .map((b) => JSON.stringify(b)),
  json.map((v) => JSON.stringify(v) ?? "null"),
  fc.integer({ min: 1, max: 3000 }).map((d) => `{"messages":${"[".repeat(d)}${"]".repeat(d)}}`),
  fc.string({ maxLength: 200 }),
);
const headers = fc.dictionary(
  fc.constantFrom(
    "x-augserve-run-id",
    "x-session-id",
    "x-augserve-priority",
    "x-augserve-slo-ttft-ms",
    "x-augserve-tenant",
  ),
  fc.oneof(
    fc.string({ maxLength: 30 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
    fc.constantFrom("interactive", "1e400", "0", ""),
  ),
);

describe("gateway fuzz", () => {
  it("the servers' shared fuzz (test/support/http-fuzz.ts): every request 200 or 400 in time, /health fast", async () => {
    const { statuses } = await fuzzOpenAIServer({
      url: fleet.gateway.url,
      numRuns: Number(process.env.FC_RUNS ?? 25),
      // The gateway and both replicas share this process's event loop, so /health waits for all three
      // (each parses a near-4 MiB body of the batch): twice the single server's bound.
      healthBoundMs: 4000,
    });
    expect(statuses[200]).toBeGreaterThan(0);
    expect(statuses[400]).toBeGreaterThan(0);
    await waitFor(() => idle(fleet.gateway));
  }, 120_000);

  it("random bodies and hint headers: 200 or a 4xx JSON error within a bound; /health stays fast", async () => {
    const probe = probeHealth(fleet.gateway.url);
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(body, headers, async (text, hints) => {
        const res = await fetch(`${fleet.gateway.baseURL}/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", ...hints },
          body: text,
          signal: AbortSignal.timeout(5000),
        });
        const answer = await res.text();
        statuses.add(res.status);
        if (res.status === 200) return;
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(JSON.parse(answer).error.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 150, seed: 15 },
    );
    const { blockedMs, statuses: health } = await probe.stop();
    expect(health.every((s) => s === 200)).toBe(true);
    expect(Math.max(...blockedMs)).toBeLessThan(1000);
    expect(statuses.has(400)).toBe(true);
    await waitFor(() => idle(fleet.gateway));
  });
});
