/**
 * `bench:soak`'s flags and its summary arithmetic (the benchmark itself runs for minutes: docs/limits.md has
 * a measured run).
 */
import { describe, expect, it } from "vitest";
import type { PhaseResult } from "../../src/bench/soak/phase.js";
import { formatSoak, summarizeSoak } from "../../src/bench/soak/summary.js";
import { parseSoakArgs, SoakOptionsError } from "../../src/bench/soak.js";

const phase = (kind: PhaseResult["kind"], over: Partial<PhaseResult>): PhaseResult => ({
  kind,
  seconds: 10,
  arms: {},
  heapBeforeBytes: 50e6,
  heapGrowthPerRunBytes: 0,
  heapGrowthPerRunWithoutRecordsBytes: 0,
  loopDelayMs: { p50: 1, p99: 5, max: 9 },
  ...over,
});

describe("bench:soak", () => {
  it("parseSoakArgs() - kebab-case flags; unknown or bad ones throw SoakOptionsError naming them", () => {
    expect(parseSoakArgs(["--concurrency", "8", "--warmup-seconds", "0", "--json"])).toMatchObject({
      concurrency: 8,
      warmupSeconds: 0,
      json: true,
    });
    expect(() => parseSoakArgs(["--concurency", "8"])).toThrow(SoakOptionsError);
    expect(() => parseSoakArgs(["--concurency", "8"])).toThrow(/concurrency/);
    expect(() => parseSoakArgs(["--seconds", "-1"])).toThrow(/seconds/);
    expect(() => parseSoakArgs(["8"])).toThrow(/--flag/);
  });

  it("summarizeSoak() - medians per arm, the side-by-side ratio, the middleware's and the records' shares", () => {
    const run = (runs: number) => ({ runs, failed: 0, runsPerSecond: runs / 10 });
    const phases = [
      phase("plain", { arms: { plain: run(100) }, heapGrowthPerRunBytes: 6000 }),
      phase("plain", { arms: { plain: run(120) }, heapGrowthPerRunBytes: 5000 }),
      phase("augserve", {
        arms: { augserve: run(90) },
        heapGrowthPerRunBytes: 6400,
        heapGrowthPerRunWithoutRecordsBytes: 6100,
      }),
      phase("augserve", {
        arms: { augserve: run(110) },
        heapGrowthPerRunBytes: 5400,
        heapGrowthPerRunWithoutRecordsBytes: 5100,
      }),
      phase("mixed", { arms: { plain: run(50), augserve: run(45) } }),
    ];
    const summary = summarizeSoak(phases);
    expect(summary.arms.plain.runsPerSecond).toEqual({ median: 11, min: 10, max: 12 });
    expect(summary.arms.augserve.runs).toBe(200);
    expect(summary.mixedRunsPerSecondRatio.median).toBeCloseTo(0.9);
    expect(summary.middlewareOwnBytesPerRun).toBe(100);
    expect(summary.recordsBytesPerRun).toBe(300);
    const text = formatSoak({
      options: { concurrency: 32, seconds: 10, repeats: 2, timeScale: 20 },
      summary,
      scheduler: { queued: 0 },
    });
    expect(text).toMatch(/middleware's own share .*: 100 B/);
    expect(text).toMatch(/augserve \/ plain runs\/s: 0\.900/);
  });
});
