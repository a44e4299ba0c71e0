/**
 * The fuzz requests of test/support/http-fuzz.ts: random and adversarial chat-completion bodies (valid bodies
 * with fields replaced by values of every JSON type, deep nesting where servers walk or re-serialise, number
 * literals beyond doubles, unicode edge cases, `__proto__` keys, raw bytes, truncated JSON, bodies near the
 * 4 MiB limit in their costliest shapes) and random routes. Each request prints as a short description in
 * counterexamples (`describeRequest`).
 */
import fc from "fast-check";

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

/**
 * Bodies near the 4 MiB limit, of the shapes that cost the most per byte to parse, validate or tokenize (each
 * holds the event loop for up to a few hundred ms: send at most one at a time).
 */
export const hugeRequest: fc.Arbitrary<FuzzRequest> = fc
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
    const request: FuzzRequest = { kind: "completion", body: JSON.stringify(body), label: `huge ${shape}` };
    return Object.assign(request, { [fc.toStringMethod]: () => describeRequest(request) });
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
export function describeRequest(r: FuzzRequest): string {
  if (r.kind === "route") return `${r.method} ${r.path}`;
  const text = typeof r.body === "string" ? r.body : `<${r.body.length} bytes>`;
  return `${r.label} (${text.length} chars): ${text.length > 300 ? `${text.slice(0, 300)}...` : text}`;
}

/** Every kind of fuzz request but the huge ones, weighted toward the chat-completion body. */
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
  )
  .map((r) => Object.assign(r, { [fc.toStringMethod]: () => describeRequest(r) }));
