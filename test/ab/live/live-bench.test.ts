/**
 * The live bench end to end: real createAgent agents with ChatOpenAI over HTTP against the in-process
 * simulator (few runs, high time scale), then the JSON against the report's schema.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runLiveInThread } from "../../../src/ab/live/arm-thread.js";
import { metRuns } from "../../../src/ab/live/demo-stats.js";
import { runLiveSweep } from "../../../src/ab/live/index.js";
import { BenchResultsSchema, writeHtmlReport } from "../../../src/report/index.js";
import { loadWorkload } from "../../../src/workload/load.js";

/** infercept-mix cut to its two short-tool classes and a 4-second window: a handful of runs. */
function tinyWorkload(): object {
  const file = JSON.parse(readFileSync("workloads/infercept-mix.json", "utf8"));
  file.classes = file.classes.filter((c: { name: string }) => c.name === "math" || c.name === "qa");
  file.durationS = 4;
  return file;
}

describe("runLiveSweep() - end to end against the simulator", () => {
  it("plays every run with real agents for plain and augserve; the JSON validates and every run finished", async () => {
    const report = await runLiveSweep({
      workload: tinyWorkload(),
      policies: ["plain", "augserve"],
      rates: [1.5],
      timeScale: 25,
      repeat: 2,
    });
    const parsed = BenchResultsSchema.parse(report);
    expect(parsed.mode).toBe("live");
    expect(parsed.setup?.backend).toBe("sim");
    expect(parsed.results.map((r) => r.policy)).toEqual(["plain", "augserve"]);
    for (const row of parsed.results) {
      expect(row.runs).toBeGreaterThan(0);
      expect(row.unfinished).toBe(0);
      expect(row.completedPerS).toBeGreaterThan(0);
      expect(row.ttftMs.p50).not.toBeNull();
      expect(row.server.busyFraction).toBeGreaterThan(0);
      expect(row.ttftCdf?.length).toBeGreaterThan(0);
    }
    expect(parsed.results[0]?.runs).toBe(parsed.results[1]?.runs);
    expect(parsed.timelines?.[0]?.policy).toBe("augserve");
    expect(report.live.timeScale).toBe(25);
    // --repeat 2: augserve against plain, paired by repeat, for goodput and TTFT mean, with t intervals.
    const comparisons = report.live.comparisons ?? [];
    expect(comparisons.map((c) => [c.ratePerS, c.policy, c.baseline, c.metric])).toEqual([
      [1.5, "augserve", "plain", "goodput"],
      [1.5, "augserve", "plain", "ttftMs.mean"],
    ]);
    for (const c of comparisons) {
      expect(c.repeats).toHaveLength(2);
      expect(c.difference.n).toBe(2);
      expect(c.difference.low).not.toBeNull();
    }

    const dir = await mkdtemp(join(tmpdir(), "augserve-live-"));
    try {
      const path = await writeHtmlReport(report, join(dir, "index.html"));
      expect(await readFile(path, "utf8")).toContain("<svg");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("runLiveSweep() - the simulator in a worker thread, the demo's stop rule", () => {
  it("cuts only decided runs (misses) and gets the server side from the worker (simThread, stopWhenSloDecided)", async () => {
    const report = await runLiveSweep({
      workload: tinyWorkload(),
      policies: ["augserve"],
      rates: [1.5],
      timeScale: 25,
      simThread: true,
      stopWhenSloDecided: true,
    });
    const [row] = BenchResultsSchema.parse(report).results;
    expect(row?.runs).toBeGreaterThan(0);
    // The stop rule cuts only runs already decided (past their deadline, or first token after the TTFT
    // target): misses. On a loaded machine some may be; none may count as met.
    const met = row === undefined ? 0 : metRuns(row);
    expect(met + (row?.unfinished ?? 0)).toBeLessThanOrEqual(row?.runs ?? 0);
    // Busy fraction, batch and KV come from the worker's engine tap.
    expect(row?.server.busyFraction).toBeGreaterThan(0);
    expect(row?.server.meanBatchSize).toBeGreaterThan(0);
  }, 120_000);
});

describe("runLiveInThread() - one arm of the demo in a worker thread", () => {
  it("plays every run with real agents on the worker's own loop and returns the records", async () => {
    const workload = loadWorkload(tinyWorkload(), { ratePerS: 1.5 });
    const ended: number[] = [];
    const result = await runLiveInThread(
      { workload, policy: "augserve", timeScale: 25, schedulerOptions: { overload: "shed" } },
      (n) => ended.push(n),
    );
    expect(result.records).toHaveLength(workload.runs.length);
    expect(result.records.every((r) => r.endMs !== null)).toBe(true);
    expect(ended.at(-1)).toBe(workload.runs.length);
    expect(result.summary.runs).toBe(workload.runs.length);
    expect(result.load.cpuCores).toBeGreaterThan(0);
  }, 120_000);
});
