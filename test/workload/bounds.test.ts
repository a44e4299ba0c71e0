/**
 * Workload bounds (issue 14, defect 6). Before the fix, the first four files below ran V8 out of memory,
 * hung, failed with "Invalid array length" naming no field, or were accepted.
 */
import { describe, expect, it } from "vitest";
import {
  loadWorkload,
  Rng,
  sampleCount,
  type TraceFileInput,
  WORKLOAD_LIMITS,
  type WorkloadFileInput,
  WorkloadTooLargeError,
  WorkloadValidationError,
} from "../../src/workload/index.js";

function file(): WorkloadFileInput {
  return {
    name: "bounded",
    durationS: 60,
    arrival: { process: "poisson", ratePerS: 2 },
    slo: { ttftMs: 1000, normLatencyMsPerToken: 100 },
    tools: [{ name: "search", latencyMs: { dist: "const", value: 100 } }],
    classes: [
      {
        name: "qa",
        weight: 1,
        tools: ["search"],
        systemPrompt: "Answer with search.",
        prompts: [{ template: "Look this up." }],
        toolRounds: { dist: "uniform", min: 1, max: 4 },
        promptTokens: { dist: "const", value: 100 },
        outputTokensPerCall: { dist: "const", value: 20 },
        finalOutputTokens: { dist: "const", value: 50 },
      },
    ],
  };
}

function edit(change: (f: WorkloadFileInput & { classes: [Record<string, unknown>] }) => void) {
  const f = file();
  change(f as WorkloadFileInput & { classes: [Record<string, unknown>] });
  return f;
}

function validationIssues(source: object, options = {}): string[] {
  try {
    loadWorkload(source, options);
  } catch (error) {
    expect(error).toBeInstanceOf(WorkloadValidationError);
    return (error as WorkloadValidationError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error("expected a WorkloadValidationError");
}

function tooLarge(source: object, options = {}): WorkloadTooLargeError {
  try {
    loadWorkload(source, options);
  } catch (error) {
    expect(error).toBeInstanceOf(WorkloadTooLargeError);
    return error as WorkloadTooLargeError;
  }
  throw new Error("expected a WorkloadTooLargeError");
}

describe("WorkloadFileSchema - bounds (issue 14, defect 6)", () => {
  it("rejects toolRounds const 1e9 at the field, before generating", () => {
    const issues = validationIssues(edit((f) => (f.classes[0].toolRounds = { dist: "const", value: 1e9 })));
    expect(issues).toEqual([
      "$.classes[0].toolRounds.value: expected at most 1,024 tool rounds, got 1000000000",
    ]);
  });

  it("rejects durationS 1e7 at the field", () => {
    const issues = validationIssues(edit((f) => (f.durationS = 1e7)));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^\$\.durationS: .*86400/);
  });

  it("rejects outputTokensPerCall 1e12 at the field", () => {
    const issues = validationIssues(
      edit((f) => (f.classes[0].outputTokensPerCall = { dist: "const", value: 1e12 })),
    );
    expect(issues).toEqual([
      "$.classes[0].outputTokensPerCall.value: expected at most 1,048,576 tokens, got 1000000000000",
    ]);
  });

  it("rejects toolRounds const -3 and other written negative counts", () => {
    expect(validationIssues(edit((f) => (f.classes[0].toolRounds = { dist: "const", value: -3 })))).toEqual([
      "$.classes[0].toolRounds.value: expected tool rounds >= 0, got -3",
    ]);
    expect(
      validationIssues(edit((f) => (f.classes[0].promptTokens = { dist: "choice", values: [10, -5] }))),
    ).toEqual(["$.classes[0].promptTokens.values[1]: expected tokens >= 0, got -5"]);
  });

  it("checks an unbounded tail at its p99 and clamps the rare draw beyond the bound", () => {
    const issues = validationIssues(
      edit((f) => (f.classes[0].outputTokensPerCall = { dist: "lognormal", median: 1000, p99: 5e6 })),
    );
    expect(issues).toEqual([
      "$.classes[0].outputTokensPerCall.p99: expected at most 1,048,576 tokens (its p99), got 5000000",
    ]);
    const heavy = { dist: "lognormal", median: 1000, p99: 1e6 } as const;
    const rng = new Rng(1);
    for (let i = 0; i < 2000; i++)
      expect(sampleCount(heavy, rng, WORKLOAD_LIMITS.tokens)).toBeLessThanOrEqual(WORKLOAD_LIMITS.tokens);
  });

  it("bounds rates, tool latencies and burst factors", () => {
    const issues = validationIssues(
      edit((f) => {
        f.arrival = {
          process: "bursty",
          ratePerS: 2e4,
          burstFactor: 1e3,
          burstPeriodS: 60,
          burstDurationS: 10,
        };
        f.tools[0]!.latencyMs = { dist: "const", value: 1e12 };
      }),
    );
    expect(issues.map((i) => i.split(":")[0])).toEqual([
      "$.arrival.ratePerS",
      "$.arrival.burstFactor",
      "$.tools[0].latencyMs.value",
    ]);
  });

  it("says a workload is too large before generating it: expected runs, a run's context, total tokens", () => {
    // 10,000 runs/s over 600 s: six million runs expected, refused before one is drawn.
    const runs = tooLarge(
      edit((f) => (f.durationS = 600)),
      { ratePerS: 10_000 },
    );
    expect(runs.paths).toEqual(["$.arrival.ratePerS", "$.durationS"]);
    expect(runs.value).toBe(6_000_000);
    expect(runs.limit).toBe(WORKLOAD_LIMITS.runs);

    const context = tooLarge(
      edit((f) => {
        f.classes[0].toolRounds = { dist: "const", value: 1000 };
        f.classes[0].outputTokensPerCall = { dist: "const", value: 2000 };
      }),
    );
    expect(context.quantity).toBe("run context tokens (expected per run)");
    expect(context.limit).toBe(WORKLOAD_LIMITS.tokens);
    expect(context.message).toContain("$.classes[0].toolRounds");

    const tokens = tooLarge(
      edit((f) => {
        f.durationS = 86_400;
        f.arrival = { process: "poisson", ratePerS: 10 };
        f.classes[0].promptTokens = { dist: "const", value: 100_000 };
      }),
    );
    expect(tokens.quantity).toBe("workload tokens (expected)");
  });

  it("validates the generate options (the bench's --rates)", () => {
    expect(validationIssues(file(), { ratePerS: -1 })[0]).toMatch(/^\$\.ratePerS: /);
    expect(validationIssues(file(), { ratePerS: 1e9 })[0]).toMatch(/^\$\.ratePerS: /);
    expect(validationIssues(file(), { seed: 1.5 })[0]).toMatch(/^\$\.seed: /);
  });

  it("bounds recorded traces too", () => {
    const trace: TraceFileInput = {
      format: "augserve-trace/v1",
      slo: { ttftMs: 1000, normLatencyMsPerToken: 100 },
      runs: [{ id: "a", arrivalS: 0, segments: [{ promptTokens: 1e12, outputTokens: 5 }] }],
    };
    expect(validationIssues(trace)).toEqual([
      "$.runs[0].segments[0].promptTokens: Too big: expected number to be <=1048576",
    ]);
    const many = { ...trace, runs: [{ id: "a", segments: [{ promptTokens: 10, outputTokens: 5 }] }] };
    expect(
      tooLarge({ ...many, durationS: 86_400, arrival: { process: "poisson", ratePerS: 100 } }).paths,
    ).toEqual(["$.arrival.ratePerS", "$.durationS"]);
  });
});
