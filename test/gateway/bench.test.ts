/**
 * The gateway's benchmarks at small scale: the multi-replica virtual A/B (placement over per-replica
 * schedulers and engines) and the live bench's `--backend gateway` (real agents, a real gateway, two
 * simulator replicas).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runLiveSweep } from "../../src/ab/live/index.js";
import { runReplicas } from "../../src/ab/replicas/driver.js";
import { renderReplicaTable, runReplicaSweep } from "../../src/ab/replicas/sweep.js";
import { BenchResultsSchema } from "../../src/report/index.js";
import { loadWorkload, WorkloadFileError } from "../../src/workload/index.js";

function tinyWorkload(durationS: number): object {
  const file = JSON.parse(readFileSync("workloads/infercept-mix.json", "utf8"));
  file.classes = file.classes.filter((c: { name: string }) => c.name === "math" || c.name === "qa");
  file.durationS = durationS;
  return file;
}

describe("runReplicas() - multi-replica virtual time", () => {
  it("every run ends; round-robin spreads calls evenly; augserve keeps runs on their replica (higher prefix hits)", () => {
    const workload = loadWorkload(tinyWorkload(20), { ratePerS: 6 });
    const rr = runReplicas({ workload, replicas: 3, placement: "round-robin" });
    const aug = runReplicas({ workload, replicas: 3, placement: "augserve" });
    for (const r of [rr, aug]) {
      expect(r.summary.unfinished).toBe(0);
      expect(r.callsPerReplica.reduce((a, b) => a + b, 0)).toBe(
        r.records.reduce((a, x) => a + x.calls.length, 0),
      );
    }
    expect(Math.max(...rr.callsPerReplica) - Math.min(...rr.callsPerReplica)).toBeLessThanOrEqual(1);
    expect(aug.decisions.affinity).toBeGreaterThan(0);
    expect(aug.prefixHitRate).toBeGreaterThan(rr.prefixHitRate);
  });

  it("the sweep adds the single-replica reference at rate / N and renders its table", () => {
    const report = runReplicaSweep({
      workload: tinyWorkload(10),
      replicas: 2,
      placements: ["round-robin", "augserve"],
      rates: [4],
    });
    expect(report.replicaResults.map((r) => [r.policy, r.replicas])).toEqual([
      ["round-robin", 2],
      ["augserve", 2],
      ["single", 1],
    ]);
    expect(BenchResultsSchema.parse(report).results).toHaveLength(3);
    expect(renderReplicaTable(report.replicaResults, 2)).toContain("single replica @ 2.00/s");
  });
});

describe("runLiveSweep() - backend gateway", () => {
  it("plays every run with plain agents through a real gateway over two simulator replicas", async () => {
    const report = await runLiveSweep({
      workload: tinyWorkload(4),
      policies: ["augserve"],
      rates: [1.5],
      timeScale: 25,
      backend: "gateway",
      gatewayReplicas: 2,
    });
    const row = report.results[0];
    expect(row?.runs).toBeGreaterThan(0);
    expect(row?.unfinished).toBe(0);
    expect(row?.server.busyFraction).toBeGreaterThan(0);
  }, 120_000);
});

describe("runReplicaSweep() - an unreadable workload file", () => {
  it("throws WorkloadFileError naming the file when --duration rewrites it, as the single-server sweep does", () => {
    const missing = "does-not-exist/workload.json";
    const run = () =>
      runReplicaSweep({ workload: missing, replicas: 2, placements: ["round-robin"], durationS: 30 });
    expect(run).toThrow(WorkloadFileError);
    expect(run).toThrow(missing);
  });
});
