/**
 * The demo's three arms: the table shows plain, augserve with overload "queue" and with "shed" side by side
 * (goodput live and virtual, TTFT of served runs, refusals and their latency), the horizon cut treats live and
 * virtual alike, and the text's words follow from the rows. Behaviour only: no wall-clock figure is asserted.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cutAtHorizon, DEMO_ARMS, runArmsVirtual } from "../../../src/ab/live/demo-arms.js";
import { demoArmsTable, liveVsVirtual, modeAdvice, ratioLines } from "../../../src/ab/live/demo-table.js";
import { REFERENCE_UNITS_PER_CPU_MS } from "../../../src/ab/live/headroom.js";
import type { BenchResultRow } from "../../../src/ab/results.js";
import { DemoRefusedError, renderDemoText, runDemo } from "../../../src/cli/demo-command.js";
import type { RunRecord } from "../../../src/metrics/index.js";
import { loadWorkload } from "../../../src/workload/load.js";

function row(policy: string, goodput: number, extra: Partial<BenchResultRow> = {}): BenchResultRow {
  return {
    policy,
    ratePerS: 1.2,
    runs: 72,
    goodput,
    completedPerS: 1,
    sloAttainment: goodput / 1.2,
    ttftMs: { mean: 4000, p50: 900, p90: 8000, p99: 20_000 },
    e2eMs: { p50: 60_000, p99: 120_000, max: 140_000 },
    unfinished: 3,
    normLatencyMs: { p50: 40, p99: 400 },
    queueWaitMs: { p99: 9000 },
    server: { busyFraction: 0.6, meanBatchSize: 3.5, kvUsageMean: 0.05, preemptions: 0 },
    ...extra,
  };
}

const refused = {
  runs: 12,
  latencyMs: { p50: 3, p99: 9, max: 11 },
  admittedAttainment: 0.4,
};

describe("demoArmsTable()", () => {
  it("has one column per arm and shows goodput live and virtual, TTFT of served runs and refusals", () => {
    const live = [row("plain", 0.2), row("augserve", 0.3), row("augserve-shed", 0.33, { refused })];
    const virtual = [row("plain", 0.2), row("augserve", 0.25), row("augserve-shed", 0.3)];
    const text = demoArmsTable(live, virtual);
    expect(text.split("\n")[0]).toMatch(/plain\s+augserve, overload "queue"\s+augserve, overload "shed"/);
    expect(text).toMatch(/goodput, runs\/s in SLO \(live\)\s+0\.200\s+0\.300\s+0\.330/);
    expect(text).toMatch(/goodput in virtual time, same runs\s+0\.200\s+0\.250\s+0\.300/);
    expect(text).toMatch(/live vs virtual\s+\+0%\s+\+20%\s+\+10%/);
    expect(text).toMatch(/TTFT p50, served runs\s+900 ms/);
    expect(text).toMatch(/TTFT p99, served runs\s+20\.0 s/);
    expect(text).toMatch(/TTFT mean, served runs\s+4000 ms/);
    expect(text).toMatch(/refused \(shed\)\s+0\s+0\s+12/);
    expect(text).toMatch(/refusal latency p50 \/ p99\s+-\s+-\s+3 ms \/ 9 ms/);
  });

  it("prints each augserve arm's ratio to plain with live and virtual intervals", () => {
    const lines = ratioLines(
      [row("plain", 0.2), row("augserve", 0.4)],
      [row("plain", 0.2), row("augserve", 0.4)],
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^goodput augserve \/ plain: live 2\.00x \(95% CI .*\); virtual 2\.00x/);
    expect(liveVsVirtual(0, 0)).toBe("0%");
    expect(liveVsVirtual(1, 0)).toBe("-");
  });

  it("says which mode suits which app from the figures", () => {
    const advice = modeAdvice([
      row("plain", 0.2),
      row("augserve", 0.3),
      row("augserve-shed", 0.3, { refused }),
    ]);
    expect(advice).toMatch(/"queue" .*batch/);
    expect(advice).toMatch(/"shed" .*12 refused here, p50 3 ms.*chatbots/);
    expect(modeAdvice([row("augserve", 0.3), row("augserve-shed", 0.3)])).toMatch(/refused no run here/);
  });
});

describe("renderDemoText()", () => {
  const input = {
    live: [row("plain", 0.2), row("augserve", 0.5), row("augserve-shed", 0.4, { refused })],
    virtual: [row("plain", 0.2), row("augserve", 0.5), row("augserve-shed", 0.4)],
    load: DEMO_ARMS.map((a) => ({ policy: a.label, lagP99Ms: 20, cpuCores: 0.4, cpuBound: false })),
    flags: { duration: 60, horizon: 150, profile: "mistral7b-rtx4090-seqs4" },
    rate: 1.2,
    sustainable: 0.3,
    plan: null,
    sloExplanation: "SLO: the workload's.",
    seconds: 170,
    htmlPath: "/tmp/r/index.html",
    jsonPath: "/tmp/r/results.json",
  };

  it("states the point against plain's sustainable rate, the table and a reading", () => {
    const text = renderDemoText(input);
    expect(text).toContain("the demo plays 1.2/s (4.0x)");
    expect(text).toContain("CPU headroom: not checked");
    expect(text).toMatch(/Reading: augserve met the SLO for 2\.50x/);
    expect(text).not.toMatch(/flagged/);
  });

  it("calls a lagging point no evidence", () => {
    const load = input.load.map((l) => ({ ...l, lagP99Ms: 250, cpuBound: true }));
    const text = renderDemoText({ ...input, load });
    expect(text).toMatch(/flagged/);
    expect(text).toMatch(/no evidence either way/);
  });
});

describe("cutAtHorizon()", () => {
  const record = (
    endMs: number | null,
    firstTokenMs: number | null,
    extra: Partial<RunRecord> = {},
  ): RunRecord => ({
    id: "r",
    className: "c",
    arrivalMs: 0,
    firstTokenMs,
    endMs,
    toolTimeMs: 0,
    outputTokens: 10,
    calls: [],
    ...extra,
  });

  it("leaves runs that ended in time and makes later ones unfinished, their late first token too", () => {
    const [kept, late, lateStart] = cutAtHorizon(
      [record(100, 10), record(300, 10, { error: "x" }), record(400, 250)],
      200,
    );
    expect(kept).toMatchObject({ endMs: 100, firstTokenMs: 10 });
    expect(late).toMatchObject({ endMs: null, firstTokenMs: 10 });
    expect(late?.error).toBeUndefined();
    expect(lateStart).toMatchObject({ endMs: null, firstTokenMs: null });
  });
});

describe("runArmsVirtual()", () => {
  it("plays the three arms on the same runs; shed refuses some runs at overload, queue none", () => {
    const workload = loadWorkload("workloads/infercept-mix.json", { ratePerS: 1.5 });
    const short = {
      ...workload,
      durationMs: 40_000,
      runs: workload.runs.filter((r) => r.arrivalMs < 40_000),
    };
    const rows = runArmsVirtual(short, { profile: "mistral7b-rtx4090-seqs4", rate: 1.5, horizonMs: 120_000 });
    expect(rows.map((r) => r.policy)).toEqual(["plain", "augserve", "augserve-shed"]);
    expect(new Set(rows.map((r) => r.runs))).toEqual(new Set([short.runs.length]));
    expect(rows[1]?.refused).toBeUndefined();
    expect(rows[2]?.refused?.runs ?? 0).toBeGreaterThan(0);
  });
});

describe("runDemo()", () => {
  const flags = {
    rate: 0.6,
    duration: 4,
    horizon: 12,
    profile: "mistral7b-rtx4090-seqs4",
    headroomCheck: true,
    quiet: true,
  };
  const probe = (freeCores: number) => async () => ({
    threads: 2,
    freeCores,
    unitsPerCpuMs: REFERENCE_UNITS_PER_CPU_MS,
    timerDelayP99Ms: 1,
    wallMs: 400,
  });

  it("refuses, writing nothing, when the probe says the machine cannot carry the point", async () => {
    const out = await mkdtemp(join(tmpdir(), "augserve-demo-"));
    try {
      await expect(runDemo({ ...flags, out }, { probe: probe(0.05) })).rejects.toBeInstanceOf(
        DemoRefusedError,
      );
      expect(existsSync(join(out, "results.json"))).toBe(false);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 120_000);

  it("plays the three arms live and writes the table, results.json and the report", async () => {
    const out = await mkdtemp(join(tmpdir(), "augserve-demo-"));
    try {
      const text = await runDemo({ ...flags, out }, { probe: probe(2) });
      expect(text).toMatch(/plain\s+augserve, overload "queue"\s+augserve, overload "shed"/);
      expect(text).toMatch(/^CPU headroom: 2\.00 free cores/m);
      const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
      expect(results.results.map((r: { policy: string }) => r.policy)).toEqual([
        "plain",
        "augserve",
        "augserve-shed",
      ]);
      expect(results.virtualPoint).toHaveLength(3);
      expect(results.live.timeScale).toBe(1);
      expect(existsSync(join(out, "index.html"))).toBe(true);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 180_000);
});
