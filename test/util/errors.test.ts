/**
 * Every error class of src/ extends AugServeError and has its own stable code (issue 23, item 5). The list
 * below pins the codes: a code never changes once released, and a new error class must be added here.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { AugServeError, OptionsError } from "../../src/util/index.js";

/** Every error class of src/ and its code. Codes are `<PART>_<WHAT>`, UPPER_SNAKE_CASE (src/util/errors.ts). */
const CODES: Record<string, string> = {
  AugServeDrainingError: "LANGCHAIN_DRAINING",
  AugServeIncompleteResponseError: "LANGCHAIN_INCOMPLETE_RESPONSE",
  AugServeInvalidModelError: "LANGCHAIN_INVALID_MODEL",
  AugServeOptionsError: "LANGCHAIN_OPTIONS",
  AugServeOverloadedError: "SCHEDULER_OVERLOADED",
  AugServeTimeoutError: "LANGCHAIN_TIMEOUT",
  BenchFlagsError: "CLI_BENCH_FLAGS",
  BenchResultsError: "REPORT_INVALID_RESULTS",
  CallCancelledError: "SCHEDULER_CALL_CANCELLED",
  DemoRefusedError: "CLI_DEMO_REFUSED",
  EngineOptionsError: "ENGINE_OPTIONS",
  EngineRequestError: "ENGINE_REQUEST",
  EventLoopLagOptionsError: "BACKEND_EVENT_LOOP_LAG_OPTIONS",
  FleetKeyError: "FLEET_KEY",
  FleetOptionsError: "FLEET_OPTIONS",
  FleetReplyError: "FLEET_REPLY",
  GatewayOptionsError: "GATEWAY_OPTIONS",
  LiveOptionsError: "AB_LIVE_OPTIONS",
  NodeLlamaCppMissingError: "ENGINE_NODE_LLAMA_CPP_MISSING",
  PredictorOptionsError: "PREDICT_OPTIONS",
  PredictorStateError: "PREDICT_STATE",
  QueueFullError: "SCHEDULER_QUEUE_FULL",
  SchedulerInvariantError: "SCHEDULER_INVARIANT",
  SchedulerOptionsError: "SCHEDULER_OPTIONS",
  SharedBenchOptionsError: "BENCH_SHARED_OPTIONS",
  SimInvariantError: "SIM_INVARIANT",
  SimOptionsError: "SIM_OPTIONS",
  SimRequestError: "SIM_REQUEST",
  SoakOptionsError: "BENCH_SOAK_OPTIONS",
  SseEventTooLargeError: "WIRE_SSE_EVENT_TOO_LARGE",
  UnknownPolicyError: "SCHEDULER_UNKNOWN_POLICY",
  UnknownProfileError: "SIM_UNKNOWN_PROFILE",
  UnknownSchedulingPolicyError: "SIM_UNKNOWN_SCHEDULING_POLICY",
  UpstreamError: "GATEWAY_UPSTREAM",
  UpstreamRefusedError: "GATEWAY_UPSTREAM_REFUSED",
  VirtualOptionsError: "AB_VIRTUAL_OPTIONS",
  WireRequestError: "WIRE_REQUEST",
  WorkloadFileError: "WORKLOAD_FILE",
  WorkloadTooLargeError: "WORKLOAD_TOO_LARGE",
  WorkloadValidationError: "WORKLOAD_INVALID",
};

/** The bases: AugServeError, and OptionsError (options that failed validation, with `issues`) under it. */
const BASES = ["AugServeError", "OptionsError"];

const SRC = join(import.meta.dirname, "../../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Every `class XError extends Y` of src/, with its base and the code it declares. */
function declaredErrorClasses(): { name: string; base: string; code: string | undefined; file: string }[] {
  const out = [];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(/^(?:export )?class (\w+Error) extends (\w+) \{\n(.*)$/gm)) {
      if (BASES.includes(match[1] as string)) continue;
      const code = /static override readonly code = "([A-Z_]+)";/.exec(match[3] as string)?.[1];
      out.push({ name: match[1] as string, base: match[2] as string, code, file: relative(SRC, file) });
    }
  }
  return out;
}

/**
 * The modules that export error classes: every part index, plus the modules of the parts without one (a/b
 * options, the CLI commands, the soak bench). bench/shared-bench.ts runs on import; the source scan covers it.
 */
async function exportedErrorClasses(): Promise<Map<string, new (...args: never[]) => unknown>> {
  const modules = [
    ...sourceFiles(SRC).filter((file) => file.endsWith("/index.ts") && file !== join(SRC, "index.ts")),
    ...[
      "fleet/redis.ts",
      "gateway/relay.ts",
      "wire/sse.ts",
      "backend/event-loop-lag.ts",
      "cli/bench-command.ts",
      "cli/demo-command.ts",
      "bench/soak.ts",
    ].map((file) => join(SRC, file)),
  ];
  const found = new Map<string, new (...args: never[]) => unknown>();
  for (const file of modules) {
    const module = (await import(file)) as Record<string, unknown>;
    for (const value of Object.values(module)) {
      if (typeof value === "function" && value.prototype instanceof Error && !BASES.includes(value.name))
        found.set(value.name, value as new (...args: never[]) => unknown);
    }
  }
  return found;
}

describe("AugServeError - one base for every error (issue 23)", () => {
  it("sets name from the class, code from the class's static code, and keeps the cause", () => {
    class ExampleError extends AugServeError {
      static override readonly code = "TEST_EXAMPLE";
    }
    const cause = new Error("below");
    const error = new ExampleError("above", { cause });
    expect(error).toBeInstanceOf(AugServeError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("ExampleError");
    expect(error.code).toBe("TEST_EXAMPLE");
    expect(error.message).toBe("above");
    expect(error.cause).toBe(cause);
  });

  it("every error class declared in src/ extends AugServeError with its pinned code", () => {
    const declared = declaredErrorClasses();
    expect(declared.map((c) => c.name).sort()).toEqual(Object.keys(CODES).sort());
    for (const c of declared) {
      expect({ class: c.name, file: c.file, base: BASES.includes(c.base) }).toEqual({
        class: c.name,
        file: c.file,
        base: true,
      });
      expect({ class: c.name, code: c.code }).toEqual({ class: c.name, code: CODES[c.name] });
    }
  });

  it("OptionsError is an AugServeError that carries the issues", () => {
    const error = new OptionsError("Invalid x options: a: expected a number", ["a: expected a number"]);
    expect(error).toBeInstanceOf(AugServeError);
    expect(error.code).toBe("OPTIONS");
    expect(error.issues).toEqual(["a: expected a number"]);
  });

  it("codes are unique and follow <PART>_<WHAT> in UPPER_SNAKE_CASE", () => {
    const codes = Object.values(CODES);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^[A-Z]+(_[A-Z0-9]+)+$/);
  });

  it("every exported error class is an AugServeError whose static code is the pinned one", async () => {
    const exported = await exportedErrorClasses();
    expect(exported.size).toBeGreaterThanOrEqual(Object.keys(CODES).length - 1);
    for (const [name, type] of exported) {
      expect({ name, base: type.prototype instanceof AugServeError }).toEqual({ name, base: true });
      expect({ name, code: (type as unknown as { code: string }).code }).toEqual({ name, code: CODES[name] });
    }
  });
});
