import { describe, expect, it } from "vitest";
import { EventQueue, runVirtual } from "../../src/ab/virtual/index.js";
import { loadWorkload } from "../../src/workload/index.js";
import { ToyEngine } from "./toy-engine.js";

const workload = () => loadWorkload("workloads/infercept-mix.json", { ratePerS: 1, seed: 3 });
const small = () => {
  const w = workload();
  return { ...w, runs: w.runs.slice(0, 40), durationMs: w.runs[39]!.arrivalMs + 1 };
};

describe("EventQueue", () => {
  it("pops by time, then in scheduling order", () => {
    const q = new EventQueue<string>();
    for (const [t, e] of [
      [5, "c"],
      [1, "a"],
      [5, "d"],
      [3, "b"],
      [5, "e"],
    ] as const)
      q.push(t, e);
    const out: string[] = [];
    for (let x = q.pop(); x; x = q.pop()) out.push(x.event);
    expect(out).toEqual(["a", "b", "c", "d", "e"]);
    expect(q.peekTime()).toBe(Number.POSITIVE_INFINITY);
    expect(() => q.push(Number.NaN, "x")).toThrow(RangeError);
  });
});

describe("runVirtual() - with a toy engine", () => {
  it("plain: every run follows its script to the end", () => {
    const w = small();
    const engine = new ToyEngine();
    const result = runVirtual({ workload: w, policy: "plain", createEngine: () => engine });
    expect(result.summary.unfinished).toBe(0);
    for (const [i, record] of result.records.entries()) {
      const run = w.runs[i]!;
      expect(record.calls).toHaveLength(run.script.rounds.length + 1);
      const tokens = run.script.rounds.reduce((a, r) => a + r.outputTokens, 0) + run.script.finalOutputTokens;
      expect(record.outputTokens).toBe(tokens);
      const toolTime = run.script.rounds.reduce(
        (a, r) => a + Math.max(...r.calls.map((c) => c.latencyMs)),
        0,
      );
      expect(record.toolTimeMs).toBeCloseTo(toolTime, 6);
      expect(record.firstTokenMs).toBeGreaterThan(record.arrivalMs);
      expect(record.endMs).toBeGreaterThanOrEqual(record.firstTokenMs!);
      // Each call is ready when the previous tool phase ends, and is served after it is ready.
      for (const call of record.calls) {
        expect(call.startMs).toBeGreaterThanOrEqual(call.submitMs);
        expect(call.firstTokenMs).toBeGreaterThan(call.startMs!);
      }
    }
    expect(result.summary.server.busyFraction).toBeGreaterThan(0);
  });

  it("is deterministic: identical inputs give identical records", () => {
    const a = runVirtual({
      workload: small(),
      policy: "fcfs-window",
      window: 2,
      createEngine: () => new ToyEngine(),
    });
    const b = runVirtual({
      workload: small(),
      policy: "fcfs-window",
      window: 2,
      createEngine: () => new ToyEngine(),
    });
    expect(a).toEqual(b);
  });

  it("fcfs-window: never more than `window` calls at the engine", () => {
    let peak = 0;
    const engine = new ToyEngine(64);
    const wrapped = new Proxy(engine, {
      get(target, key) {
        if (key === "step")
          return () => {
            const s = target.step();
            peak = Math.max(peak, s?.batchSize ?? 0);
            return s;
          };
        const value = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const result = runVirtual({
      workload: small(),
      policy: "fcfs-window",
      window: 3,
      createEngine: () => wrapped,
    });
    expect(result.summary.unfinished).toBe(0);
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBe(3);
  });

  it("a call the engine rejects ends its run with an error, and the others finish", () => {
    const w = small();
    const engine = new ToyEngine();
    const add = engine.add.bind(engine);
    engine.add = (request) => {
      if (request.id.startsWith(w.runs[0]!.id)) throw new Error("prompt too long");
      add(request);
    };
    const result = runVirtual({ workload: w, policy: "plain", createEngine: () => engine });
    expect(result.records[0]!.error).toBe("prompt too long");
    expect(result.records[0]!.endMs).not.toBeNull();
    expect(result.summary.errors).toBe(1);
    expect(result.summary.completed).toBe(w.runs.length - 1);
  });

  it("rejects bad options with a named error", () => {
    expect(() => runVirtual({ workload: small(), policy: "plain", window: 0 })).toThrow(/window/);
    expect(() => runVirtual({ workload: small(), policy: "nope" as never })).toThrow(/VirtualOptions|policy/);
  });
});
