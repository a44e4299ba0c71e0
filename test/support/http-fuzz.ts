/**
 * Fuzzing of an OpenAI-compatible HTTP surface with fast-check (the simulator, the engine; the gateway
 * next): random and adversarial request bodies (random JSON, valid bodies with fields of the wrong type,
 * deep nesting anywhere, huge and tiny numbers, unicode edge cases, `__proto__` keys, raw invalid UTF-8,
 * truncated JSON, bodies near the 4 MiB limit in their costliest shapes) and random routes. The contract checked for each request: an answer within a bound, 200 or
 * 400 (404 for unknown routes), a JSON error body on 400, a complete body on 200 (SSE ending in [DONE]); and
 * while they run, `/health` keeps answering quickly.
 */
import fc from "fast-check";
import { expect } from "vitest";
import { probeHealth } from "./health-probe.js";

/** A request to send: a JSON body (text or raw bytes) to chat completions, or a random route. */
export type FuzzRequest =
  | { kind: "completion"; body: string | Uint8Array; label: string }
  | { kind: "route"; method: string; path: string };

const anyJson = fc.jsonValue({ maxDepth: 4 });

/** Values of every JSON type, and the edge cases of each. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  anyJson,
  fc.constantFrom(
    0,
    -0,
    -1,
    1.5,
    2 ** 31,
    2 ** 53 + 1,
    -(2 ** 63),
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    "",
    " ",
    "\u0000",
    "\ufeff",
    "\u2028\u2029",
    "\u202e",
    "\ud83d\ude00",
    "a\u0301\u0302\u0303",
    null,
    true,
    [],
    {},
    [[]],
    { type: "function" },
  ),
  fc.string({ unit: "binary", maxLength: 40 }),
);

/** A valid body the servers accept (small outputs so that the fuzz stays fast). */
const validBody = fc.record(
  {
    model: fc.constant("fuzz"),
    messages: fc.array(
      fc.record({
        role: fc.constantFrom("system", "user", "assistant", "tool", "developer"),
        content: fc.oneof(fc.string({ unit: "grapheme", maxLength: 60 }), fc.constant(null)),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    max_tokens: fc.integer({ min: 1, max: 8 }),
    stream: fc.boolean(),
    stream_options: fc.constant({ include_usage: true }),
    tools: fc.constant([
      {
        type: "function",
        function: { name: "f", description: "d", parameters: { type: "object", properties: {} } },
      },
    ]),
    temperature: fc.double({ min: 0, max: 2, noNaN: true }),
  },
  { requiredKeys: ["messages", "max_tokens"] },
);

/** Paths into a body where a value can be replaced. */
const FIELD_PATHS: readonly (readonly (string | number)[])[] = [
  ["model"],
  ["messages"],
  ["messages", 0],
  ["messages", 0, "role"],
  ["messages", 0, "content"],
  ["messages", 0, "tool_calls"],
  ["messages", 0, "tool_calls", 0, "function", "arguments"],
  ["max_tokens"],
  ["max_completion_tokens"],
  ["stream"],
  ["stream_options"],
  ["stream_options", "include_usage"],
  ["tools"],
  ["tools", 0, "function"],
  ["tools", 0, "function", "name"],
  ["tools", 0, "function", "parameters"],
  ["tool_choice"],
  ["priority"],
  ["n"],
  ["temperature"],
  ["user"],
  ["__proto__"],
  ["constructor"],
  ["unknown_field"],
];

function setPath(
  target: Record<string | number, unknown>,
  path: readonly (string | number)[],
  value: unknown,
) {
  let node: Record<string | number, unknown> = target;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) {
      Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
      return;
    }
    const next = node[key];
    if (typeof next !== "object" || next === null) {
      const fresh = (typeof path[i + 1] === "number" ? [] : {}) as Record<string | number, unknown>;
      Object.defineProperty(node, key, {
        value: fresh,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      node = fresh;
    } else {
      node = next as Record<string | number, unknown>;
    }
  }
}

/** `depth` levels of arrays, objects or both around a value. */
function nest(depth: number, shape: "arrays" | "objects" | "mixed"): string {
  if (shape === "arrays") return `${"[".repeat(depth)}${"]".repeat(depth)}`;
  if (shape === "objects") return `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
  const half = depth >> 1;
  return `{"p":${'[{"a":'.repeat(half)}1${"}]".repeat(half)}}`;
}

/** Where deep nesting is most likely to reach recursive code: the places a server walks or re-serialises. */
const DEEP_PATHS: readonly (readonly (string | number)[])[] = [
  ["tools", 0, "function", "parameters"],
  ["tools", 0, "function", "parameters", "properties"],
  ["tools", 0, "function", "strict"],
  ["messages", 0, "content"],
  ["messages", 0, "extra"],
  ["messages", 0, "tool_calls", 0, "function"],
  ["tool_choice"],
  ["stream_options"],
  ["response_format"],
  ["unknown_field"],
];

/** JSON number literals JSON.stringify cannot write: overflow, underflow, 40 digits. */
const numberLiterals = fc.constantFrom(
  "1e400",
  "-1e400",
  "1e-400",
  "1234567890123456789012345678901234567890",
  "-0.0e0",
);

const mutatedBody = fc
  .tuple(
    validBody,
    fc.array(fc.tuple(fc.constantFrom(...FIELD_PATHS), oddValue), { minLength: 1, maxLength: 3 }),
  )
  .map(([body, edits]) => {
    const copy = structuredClone(body) as Record<string, unknown>;
    for (const [path, value] of edits) setPath(copy, path, value);
    return { kind: "completion" as const, body: JSON.stringify(copy), label: "mutated" };
  });

const deepBody = fc
  .tuple(
    validBody.map((b) => ({ ...b, tools: [{ type: "function", function: { name: "f", parameters: {} } }] })),
    fc.constantFrom(...DEEP_PATHS),
    // Around the limit, and far beyond it (V8's JSON.stringify overflows at a few thousand levels).
    fc.oneof(fc.integer({ min: 50, max: 80 }), fc.integer({ min: 3_000, max: 12_000 })),
    fc.constantFrom("arrays", "objects", "mixed") as fc.Arbitrary<"arrays" | "objects" | "mixed">,
  )
  .map(([body, path, depth, shape]) => {
    const marker = "__DEEP__";
    const copy = structuredClone(body) as Record<string, unknown>;
    setPath(copy, path, marker);
    return {
      kind: "completion" as const,
      body: JSON.stringify(copy).replace(`"${marker}"`, nest(depth, shape)),
      label: `deep ${depth} ${shape}`,
    };
  });

const hugeNumberBody = fc
  .tuple(validBody, fc.constantFrom("max_tokens", "temperature", "priority", "n", "top_p"), numberLiterals)
  .map(([body, field, literal]) => {
    const copy = structuredClone(body) as Record<string, unknown>;
    copy[field] = "__NUM__";
    return {
      kind: "completion" as const,
      body: JSON.stringify(copy).replace('"__NUM__"', literal),
      label: "number",
    };
  });

const unicodeBody = fc
  .tuple(
    validBody,
    fc.constantFrom('"\\ud800"', '"\\udfff\\ud800"', '"\\u0000"', '"\\ufeff"', '"\u0301".repeat'),
    fc.integer({ min: 1, max: 3_000 }),
  )
  .map(([body, escaped, repeat]) => {
    const copy = structuredClone(body) as Record<string, unknown>;
    const messages = copy.messages as { content: unknown }[];
    (messages[0] as { content: unknown }).content = "__TEXT__";
    const text = escaped.endsWith(".repeat")
      ? `"${"\u0301".repeat(repeat)}"`
      : `"${escaped.slice(1, -1).repeat(repeat)}"`;
    return {
      kind: "completion" as const,
      body: JSON.stringify(copy).replace('"__TEXT__"', text),
      label: "unicode",
    };
  });

const rawBody = fc.oneof(
  fc
    .uint8Array({ maxLength: 200 })
    .map((bytes) => ({ kind: "completion" as const, body: bytes, label: "bytes" })),
  validBody.chain((body) => {
    const text = JSON.stringify(body);
    return fc.integer({ min: 0, max: text.length - 1 }).map((cut) => ({
      kind: "completion" as const,
      body: `\ufeff${text.slice(0, cut)}`,
      label: "truncated",
    }));
  }),
  fc
    .constantFrom("", "null", "[]", '"messages"', "{}", '{"messages":[]}', "{".repeat(100_000))
    .map((body) => ({
      kind: "completion" as const,
      body,
      label: "edge",
    })),
  anyJson.map((v) => ({ kind: "completion" as const, body: JSON.stringify(v), label: "random json" })),
);

/** Bodies near the 4 MiB limit, of the shapes that cost the most per byte to parse, validate or tokenize. */
const hugeBody = fc
  .tuple(
    fc.constantFrom("words", "punctuation", "cjk", "combining", "messages", "tools", "parts"),
    fc.integer({ min: 1 << 20, max: (4 << 20) - 4096 }),
  )
  .map(([shape, bytes]) => {
    const text = (unit: string) => unit.repeat(Math.floor(bytes / Buffer.byteLength(unit)));
    const user = (content: unknown) => ({ messages: [{ role: "user", content }], max_tokens: 4 });
    const body =
      shape === "words"
        ? user(text("hello world "))
        : shape === "punctuation"
          ? user(text("!"))
          : shape === "cjk"
            ? user(text("中"))
            : shape === "combining"
              ? user(text("\u0301"))
              : shape === "messages"
                ? {
                    messages: Array.from({ length: bytes >> 5 }, () => ({ role: "user", content: "x" })),
                    max_tokens: 4,
                  }
                : shape === "tools"
                  ? {
                      ...user("x"),
                      tools: Array.from({ length: bytes >> 7 }, (_, i) => ({
                        type: "function",
                        function: { name: `f${i}`, parameters: {} },
                      })),
                    }
                  : user(Array.from({ length: bytes >> 5 }, () => ({ type: "text", text: "ab" })));
    return { kind: "completion" as const, body: JSON.stringify(body), label: `huge ${shape}` };
  });

const randomRoute = fc
  .record({
    method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"),
    path: fc.oneof(
      fc.constantFrom(
        "/health",
        "/v1/models",
        "/metrics",
        "/v1/chat/completions",
        "/v1",
        "/",
        "//",
        "/%00",
        "/%zz",
      ),
      fc.webPath(),
      fc.constantFrom("/health", "/v1/models").chain((p) => fc.webQueryParameters().map((q) => `${p}?${q}`)),
    ),
  })
  .map((r) => ({ kind: "route" as const, ...r }));

/** A short description of a request, for counterexamples (bodies can be megabytes of brackets). */
function describeRequest(r: FuzzRequest): string {
  if (r.kind === "route") return `${r.method} ${r.path}`;
  const text = typeof r.body === "string" ? r.body : `<${r.body.length} bytes>`;
  return `${r.label} (${text.length} chars): ${text.length > 300 ? `${text.slice(0, 300)}...` : text}`;
}

/** Every kind of fuzz request, weighted toward the chat-completion body. */
export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc
  .oneof(
    { weight: 3, arbitrary: mutatedBody },
    { weight: 2, arbitrary: deepBody },
    { weight: 1, arbitrary: hugeNumberBody },
    { weight: 1, arbitrary: unicodeBody },
    { weight: 2, arbitrary: rawBody },
    {
      weight: 1,
      arbitrary: validBody.map((b) => ({
        kind: "completion" as const,
        body: JSON.stringify(b),
        label: "valid",
      })),
    },
    { weight: 1, arbitrary: randomRoute },
    { weight: 1, arbitrary: hugeBody },
  )
  .map((r) => Object.assign(r, { [fc.toStringMethod]: () => describeRequest(r) }));

export interface FuzzOptions {
  /** `http://host:port` of the server. */
  url: string;
  /** Property runs (each a batch of concurrent requests). */
  numRuns: number;
  /** Requests per batch, sent at once. @default 6 */
  batch?: number;
  /** Most time one request may take, ms (a shared 2-core machine: generous). @default 10000 */
  answerBoundMs?: number;
  /** Most time one `/health` answer may take meanwhile, ms (a frozen loop takes many seconds). @default 2000 */
  healthBoundMs?: number;
}

async function send(url: string, request: FuzzRequest, boundMs: number): Promise<number> {
  const signal = AbortSignal.timeout(boundMs);
  if (request.kind === "route") {
    const res = await fetch(`${url}${request.path}`, { method: request.method, signal });
    await res.arrayBuffer();
    expect([200, 204, 400, 404], `${request.method} ${request.path}`).toContain(res.status);
    return res.status;
  }
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: request.body,
    signal,
  });
  const text = await res.text();
  const what = describeRequest(request);
  expect([200, 400], `${what} -> ${res.status} ${text.slice(0, 300)}`).toContain(res.status);
  if (res.status === 400) {
    const json = JSON.parse(text) as { error: { type: string; message: string } };
    expect(json.error.type, what).toBe("invalid_request_error");
    expect(json.error.message.length, what).toBeGreaterThan(0);
  } else if (res.headers.get("content-type")?.startsWith("text/event-stream")) {
    expect(text.endsWith("data: [DONE]\n\n"), what).toBe(true);
  } else {
    expect((JSON.parse(text) as { object: string }).object, what).toBe("chat.completion");
  }
  return res.status;
}

/**
 * Sends `numRuns` batches of fuzz requests to the server at `url` while probing `/health`; fails on the first
 * request outside the contract (see the module comment), or if `/health` was slow or failed.
 */
export async function fuzzOpenAIServer(
  options: FuzzOptions,
): Promise<{ statuses: Record<number, number>; healthMaxMs: number }> {
  const answerBoundMs = options.answerBoundMs ?? 10_000;
  const probe = probeHealth(options.url);
  const statuses: Record<number, number> = {};
  let failure: unknown;
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fuzzRequest, { minLength: 1, maxLength: options.batch ?? 6 }),
        async (batch) => {
          for (const status of await Promise.all(batch.map((r) => send(options.url, r, answerBoundMs))))
            statuses[status] = (statuses[status] ?? 0) + 1;
        },
      ),
      { numRuns: options.numRuns, endOnFailure: true },
    );
  } catch (error) {
    failure = error;
  }
  const health = await probe.stop();
  if (failure !== undefined) throw failure;
  const healthMaxMs = Math.max(...health.latenciesMs);
  expect(health.statuses.every((s) => s === 200)).toBe(true);
  expect(healthMaxMs).toBeLessThan(options.healthBoundMs ?? 2_000);
  // The server is still up and serving.
  expect((await fetch(`${options.url}/health`)).status).toBe(200);
  return { statuses, healthMaxMs };
}
