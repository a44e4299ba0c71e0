import { describe, expect, it } from "vitest";
import { z } from "zod";
import { statedReader } from "../../src/bench/predict-bench/hint-signal.js";
import {
  arrivalTimes,
  burstyRateAt,
  loadWorkload,
  Rng,
  sampleCount,
  WorkloadFileError,
  type WorkloadFileInput,
  WorkloadFileSchema,
  WorkloadValidationError,
} from "../../src/workload/index.js";
import { firstCallTokens } from "../../src/workload/prompt.js";

const MIX = "workloads/infercept-mix.json";

/** A small valid synthetic workload, edited by tests that need a bad one. */
function tiny(): WorkloadFileInput {
  return {
    name: "tiny",
    seed: 3,
    durationS: 60,
    arrival: { process: "poisson", ratePerS: 2 },
    slo: { ttftMs: 1000, normLatencyMsPerToken: 100 },
    tools: [
      {
        name: "calculator",
        description: "Evaluate an arithmetic expression",
        parameters: {
          type: "object",
          properties: { expression: { type: "string" } },
          required: ["expression"],
        },
        latencyMs: { dist: "lognormal", median: 30, p99: 300 },
      },
    ],
    classes: [
      {
        name: "math",
        weight: 3,
        tools: ["calculator"],
        systemPrompt: "You are a careful assistant.",
        prompts: [
          { template: "Compute these {n} expressions: {items}", items: ["(3+4)*2", "17/4", "2**10"] },
        ],
        toolRounds: { dist: "uniform", min: 0, max: 6 },
        promptTokens: { dist: "uniform", min: 50, max: 400 },
        outputTokensPerCall: { dist: "lognormal", median: 30, p99: 120 },
        finalOutputTokens: { dist: "lognormal", median: 150, p99: 800 },
      },
    ],
  };
}

describe("loadWorkload() - generator", () => {
  it("is deterministic in the seed", () => {
    const a = loadWorkload(MIX, { seed: 5 });
    const b = loadWorkload(MIX, { seed: 5 });
    const c = loadWorkload(MIX, { seed: 6 });
    expect(a).toEqual(b);
    expect(c.runs.map((r) => r.arrivalMs)).not.toEqual(a.runs.map((r) => r.arrivalMs));
  });

  it("keeps run i's content when only the rate changes", () => {
    const slow = loadWorkload(MIX, { ratePerS: 1 });
    const fast = loadWorkload(MIX, { ratePerS: 4 });
    expect(fast.runs.length).toBeGreaterThan(slow.runs.length * 3);
    const strip = ({ arrivalMs: _, ...rest }: (typeof slow.runs)[number]) => rest;
    expect(slow.runs.slice(0, 20).map(strip)).toEqual(fast.runs.slice(0, 20).map(strip));
  });

  it("makes unique user prompts whose first call has the counted prompt tokens", () => {
    const w = loadWorkload(MIX);
    expect(new Set(w.runs.map((r) => r.userPrompt)).size).toBe(w.runs.length);
    for (const run of w.runs.slice(0, 50)) {
      expect(run.promptTokens).toBe(firstCallTokens(run.systemPrompt, run.userPrompt, run.tools));
    }
    // Classes with a fixed prompt size (InferCept's few-shot prompts) are padded exactly to it.
    const fixed: Record<string, number> = { math: 405, qa: 933, "virtual-env": 1973 };
    for (const run of w.runs.filter((r) => r.className in fixed))
      expect(run.promptTokens).toBe(fixed[run.className]);
  });

  it("draws arguments valid against each tool's JSON schema", () => {
    for (const file of [MIX, "workloads/toolbench-like.json"]) {
      const w = loadWorkload(file, { ratePerS: 0.5 });
      const validators = new Map<string, z.ZodType>();
      for (const run of w.runs)
        for (const tool of run.tools)
          if (!validators.has(tool.name))
            validators.set(tool.name, z.fromJSONSchema(tool.parameters as z.core.JSONSchema.JSONSchema));
      let calls = 0;
      for (const run of w.runs)
        for (const round of run.script.rounds)
          for (const call of round.calls) {
            expect(run.tools.map((t) => t.name)).toContain(call.tool);
            const result = validators.get(call.tool)!.safeParse(call.arguments);
            expect(result.success, `${call.tool} ${JSON.stringify(call.arguments)}`).toBe(true);
            calls++;
          }
      expect(calls).toBeGreaterThan(100);
    }
  });

  it("keeps counts within their distributions (toolRounds may draw 0)", () => {
    const w = loadWorkload(tiny(), { ratePerS: 20 });
    const rounds = w.runs.map((r) => r.script.rounds.length);
    expect(Math.min(...rounds)).toBe(0);
    expect(Math.max(...rounds)).toBe(6);
    const mean = rounds.reduce((a, b) => a + b, 0) / rounds.length;
    expect(mean).toBeGreaterThan(2.7);
    expect(mean).toBeLessThan(3.3);
    for (const run of w.runs) {
      for (const round of run.script.rounds) {
        expect(round.outputTokens).toBeGreaterThanOrEqual(1);
        expect(round.calls).toHaveLength(1);
      }
      expect(run.promptTokens).toBeLessThanOrEqual(400);
    }
    // The lognormal's median and p99 come back within sampling tolerance.
    const outs = w.runs.flatMap((r) => r.script.rounds.map((x) => x.outputTokens)).sort((a, b) => a - b);
    expect(outs[Math.floor(outs.length / 2)]).toBeGreaterThan(26);
    expect(outs[Math.floor(outs.length / 2)]).toBeLessThan(34);
  });

  it("states {n} as a noisy count: a number in about `stated` of prompts, exact in about stated x exact", () => {
    const file = tiny();
    file.classes[0]!.prompts = [{ template: "Compute these {n} expressions." }];
    file.classes[0]!.countHint = { stated: 0.6, exact: 0.25 };
    file.classes[0]!.toolRounds = { dist: "uniform", min: 1, max: 6 };
    const w = loadWorkload(file, { ratePerS: 40 });
    let numbers = 0;
    let exact = 0;
    for (const run of w.runs) {
      const n = run.script.rounds.length;
      const stated = statedReader(run.userPrompt);
      if (stated === undefined) {
        expect(run.userPrompt).toMatch(/^Compute these (several|a few|some) expressions\. /);
        continue;
      }
      numbers++;
      if (stated === n) exact++;
      // A wrong statement is off by 1 or 2, never by more.
      else expect(Math.abs(stated - n)).toBeLessThanOrEqual(2);
    }
    const runs = w.runs.length;
    expect(numbers / runs).toBeGreaterThan(0.55);
    expect(numbers / runs).toBeLessThan(0.65);
    expect(exact / numbers).toBeGreaterThan(0.2);
    expect(exact / numbers).toBeLessThan(0.3);
  });

  it("lists {items} independently of the run's length, without repeats, never more than given", () => {
    const file = tiny();
    file.classes[0]!.prompts = [{ template: "Work out: {items}", items: ["a1", "b2", "c3", "d4", "e5"] }];
    file.classes[0]!.toolRounds = { dist: "uniform", min: 1, max: 6 };
    const w = loadWorkload(file, { ratePerS: 40 });
    const countsByRounds = new Map<number, number[]>();
    for (const run of w.runs) {
      const items = run.userPrompt.match(/[a-e][1-5]/g) ?? [];
      expect(new Set(items).size).toBe(items.length);
      // The default item count: uniform from 1 to min(3, items).
      expect(items.length).toBeGreaterThanOrEqual(1);
      expect(items.length).toBeLessThanOrEqual(3);
      const list = countsByRounds.get(run.script.rounds.length) ?? [];
      list.push(items.length);
      countsByRounds.set(run.script.rounds.length, list);
    }
    // Independence: the mean item count is the same (2) for short and long runs.
    for (const [rounds, counts] of countsByRounds) {
      const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
      expect(Math.abs(mean - 2), `rounds ${rounds}`).toBeLessThan(0.25);
    }
  });

  it("renders {n|...} alternatives and counts the calls of countHint.of", () => {
    const file = tiny();
    file.tools.push({ name: "ask_user", latencyMs: { dist: "const", value: 1 } });
    const cls = file.classes[0]!;
    cls.tools = ["calculator", "ask_user"];
    cls.prompts = [{ template: "Make {n|a handful of} sums." }];
    cls.countHint = { of: "calculator", stated: 1, exact: 1 };
    const w = loadWorkload(file);
    for (const run of w.runs) {
      const sums = run.script.rounds.flatMap((r) => r.calls).filter((c) => c.tool === "calculator").length;
      if (sums === 0) expect(run.userPrompt).toMatch(/^Make a handful of sums\./);
      else expect(statedReader(run.userPrompt)).toBe(sums);
    }
  });

  it("rejects a countHint of a tool the class does not bind, and an itemCount above the items", () => {
    const file = tiny();
    file.classes[0]!.countHint = { of: "search" };
    file.classes[0]!.prompts[0]!.itemCount = { dist: "const", value: 4 };
    const error = catchError(() => loadWorkload(file));
    expect(error.issues.map((i) => i.path)).toEqual([
      "$.classes[0].prompts[0].itemCount",
      "$.classes[0].countHint.of",
    ]);
  });
});

function catchError(fn: () => unknown): WorkloadValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WorkloadValidationError);
    return error as WorkloadValidationError;
  }
  throw new Error("expected a WorkloadValidationError");
}

describe("arrivalTimes()", () => {
  it("poisson: count and gaps match the rate", () => {
    const t = arrivalTimes({ process: "poisson", ratePerS: 4 }, 1000, new Rng(1));
    expect(Math.abs(t.length - 4000)).toBeLessThan(4 * Math.sqrt(4000));
    const gaps = t.slice(1).map((x, i) => x - t[i]!);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(mean).toBeCloseTo(0.25, 1);
    expect(t.every((x, i) => i === 0 || x >= t[i - 1]!)).toBe(true);
  });

  it("bursty: mean rate kept, bursts burstFactor times denser", () => {
    const arrival = {
      process: "bursty",
      ratePerS: 2,
      burstFactor: 4,
      burstPeriodS: 60,
      burstDurationS: 10,
    } as const;
    const t = arrivalTimes(arrival, 6000, new Rng(2));
    expect(Math.abs(t.length - 12_000)).toBeLessThan(4 * Math.sqrt(12_000));
    const inBurst = t.filter((x) => x % 60 >= 50).length;
    const perSecondIn = inBurst / (100 * 10);
    const perSecondOut = (t.length - inBurst) / (100 * 50);
    expect(perSecondIn / perSecondOut).toBeGreaterThan(3.5);
    expect(perSecondIn / perSecondOut).toBeLessThan(4.5);
    expect(burstyRateAt(arrival, 55) / burstyRateAt(arrival, 5)).toBeCloseTo(4);
  });
});

describe("sampleCount()", () => {
  it("uniform draws integers in [min, max] inclusive", () => {
    const rng = new Rng(9);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(sampleCount({ dist: "uniform", min: 1, max: 4 }, rng));
    expect([...seen].sort()).toEqual([1, 2, 3, 4]);
  });
});

describe("WorkloadFileSchema - validation", () => {
  it("accepts the shipped synthetic workloads", () => {
    for (const f of ["infercept-mix", "infercept-mix-bursty", "toolbench-like"])
      expect(() => loadWorkload(`workloads/${f}.json`, { ratePerS: 0.1 })).not.toThrow();
  });

  it("rejects a bad file with the JSON path of every problem", () => {
    const bad = tiny() as Record<string, unknown> & ReturnType<typeof tiny>;
    bad.arrival = { process: "poisson", ratePerS: -1 };
    bad.classes[0]!.tools = ["calculator", "search"];
    bad.classes[0]!.toolRounds = { dist: "uniform", min: 5, max: 2 };
    (bad.classes[0] as Record<string, unknown>).colour = "red";
    bad.tools[0]!.latencyMs = { dist: "zipf" } as never;
    let error: unknown;
    try {
      loadWorkload(bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WorkloadValidationError);
    const paths = (error as WorkloadValidationError).issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "$.arrival.ratePerS",
        "$.classes[0].toolRounds.max",
        "$.classes[0]",
        "$.tools[0].latencyMs.dist",
      ]),
    );
    expect((error as Error).message).toContain("$.arrival.ratePerS");
    expect((error as Error).cause).toBeInstanceOf(z.ZodError);
  });

  it("reports unknown tool names referenced by a class (cross-field rules run with other errors fixed)", () => {
    const bad = tiny();
    bad.classes[0]!.tools = ["calculator", "search"];
    const parsed = WorkloadFileSchema.safeParse(bad);
    expect(parsed.success).toBe(false);
    const issue = parsed.error!.issues[0]!;
    expect(issue.path).toEqual(["classes", 0, "tools", 1]);
    expect(issue.message).toContain('unknown tool "search"');
  });

  it("rejects a class without tools that may draw tool rounds", () => {
    const bad = tiny();
    bad.classes[0]!.tools = [];
    expect(() => loadWorkload(bad)).toThrow(/\$\.classes\[0\]\.toolRounds/);
  });

  it("names the file when it cannot be read", () => {
    expect(() => loadWorkload("workloads/nope.json")).toThrow(WorkloadFileError);
  });
});
