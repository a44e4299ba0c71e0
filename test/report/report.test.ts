import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ZodError } from "zod";
import { registerReportCommand } from "../../src/cli/report-command.js";
import {
  BenchResultsError,
  type BenchResultsInput,
  parseBenchResults,
  readBenchResults,
  renderHtmlReport,
  writeHtmlReport,
} from "../../src/report/index.js";
import { buildReportModel } from "../../src/report/model.js";
import { fixtureResults } from "./fixture.js";

/** The fixture cut to two policies and two rates, without any optional field. */
function minimalResults(): BenchResultsInput {
  const full = fixtureResults();
  return {
    workload: full.workload,
    mode: "live",
    results: full.results
      .filter((r) => (r.policy === "plain" || r.policy === "augserve") && r.ratePerS <= 2)
      .map(({ ttftCdf: _cdf, spread: _spread, ...rest }) => rest),
  };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "augserve-report-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("parseBenchResults()", () => {
  it("accepts the full fixture and a file without optional fields", () => {
    expect(parseBenchResults(fixtureResults()).results).toHaveLength(20);
    expect(parseBenchResults(minimalResults()).setup).toBeUndefined();
  });

  it("accepts null statistics (JSON's NaN) and drops unknown keys", () => {
    const input = minimalResults();
    const first = { ...input.results[0]!, ttftMs: { mean: null, p50: null, p90: null, p99: null }, extra: 1 };
    const parsed = parseBenchResults({ ...input, results: [first, ...input.results.slice(1)] });
    expect(parsed.results[0]!.ttftMs.p50).toBeNull();
    expect(parsed.results[0]).not.toHaveProperty("extra");
  });

  it("throws a BenchResultsError naming every bad JSON path, with the ZodError as cause", () => {
    const input = fixtureResults();
    const bad = {
      ...input,
      mode: "offline",
      results: [{ ...input.results[0]!, goodput: "fast", sloAttainment: 95 }, ...input.results.slice(1)],
      timelines: [{ policy: "augserve", ratePerS: 4, points: [{ tMs: 0, queued: -1 }] }],
    };
    let error: unknown;
    try {
      parseBenchResults(bad, "results.json");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BenchResultsError);
    const err = error as BenchResultsError;
    expect(err.name).toBe("BenchResultsError");
    expect(err.source).toBe("results.json");
    expect(err.cause).toBeInstanceOf(ZodError);
    expect(err.problems.map((p) => p.path)).toEqual(
      expect.arrayContaining([
        "mode",
        "results[0].goodput",
        "results[0].sloAttainment",
        "timelines[0].points[0].queued",
        "timelines[0].points[0].inFlightTokens",
      ]),
    );
    expect(err.message).toContain("results.json");
    expect(err.message).toContain("- results[0].goodput:");
  });

  it("rejects a repeated (policy, rate), a decreasing TTFT CDF and a CDF over 200 points", () => {
    const input = minimalResults();
    const first = input.results[0]!;
    const cdf: Array<[number, number]> = [
      [10, 0.5],
      [5, 1],
    ];
    const long = Array.from({ length: 201 }, (_, i): [number, number] => [i, i / 200]);
    const bad = { ...input, results: [...input.results, first, { ...first, ratePerS: 9, ttftCdf: cdf }] };
    expect(() => parseBenchResults(bad)).toThrow(/results\[4\]: expected one result per \(policy, rate\)/);
    expect(() => parseBenchResults(bad)).toThrow(/results\[5\]\.ttftCdf\[1\]: expected ms and fraction/);
    const tooLong = { ...input, results: [{ ...first, ttftCdf: long }] };
    expect(() => parseBenchResults(tooLong)).toThrow(/results\[0\]\.ttftCdf/);
  });
});

describe("readBenchResults()", () => {
  it("reports a file that is not JSON at (root)", async () => {
    const file = join(dir, "broken.json");
    await writeFile(file, "{ not json");
    await expect(readBenchResults(file)).rejects.toThrow(/broken\.json[\s\S]*\(root\): expected JSON/);
  });
});

describe("buildReportModel()", () => {
  it("orders policies by setup, finds sustainable rates, the CDF rate and augserve's highest-rate timeline", () => {
    const model = buildReportModel(parseBenchResults(fixtureResults()));
    expect(model.policies).toEqual(["plain", "sjf", "augserve", "augserve-oracle"]);
    expect(model.rates).toEqual([1, 2, 3, 4, 6]);
    expect(model.sustainableRate.get("plain")).toBe(1);
    expect(model.sustainableRate.get("augserve")).toBe(2);
    expect(model.cdfRate).toBe(6);
    expect(model.timeline?.ratePerS).toBe(6);
  });
});

describe("renderHtmlReport()", () => {
  it("escapes every string from the input", async () => {
    const evil = '<img src=x onerror="alert(1)">';
    const input = fixtureResults({ workload: `<script>alert(1)</script>`, profile: evil });
    input.setup = { ...input.setup!, backend: evil, policies: [...input.setup!.policies, evil] };
    input.results = input.results.map((r) => (r.policy === "sjf" ? { ...r, policy: evil } : r));
    input.timelines = input.timelines!.map((t) => ({ ...t, policy: evil }));
    const html = await renderHtmlReport(input);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
  });

  it("is self-contained: no external resource, no script, a CSP forbidding fetches", async () => {
    const html = await renderHtmlReport(fixtureResults(), { generatedAt: new Date("2025-01-01T00:00:00Z") });
    expect(html).not.toMatch(/<(script|link|iframe|img)\b/i);
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    const urls = html.match(/https?:\/\/[^\s"')]+/g) ?? [];
    expect(urls.every((u) => u.startsWith("http://www.w3.org/"))).toBe(true);
    expect(html).toContain(`content="default-src 'none'`);
    expect(html).toContain("2025-01-01 00:00 UTC");
  });

  it("shows ratios to plain at each rate, and – where a rate has no plain result", async () => {
    const input = minimalResults();
    const noPlain = { ...input.results.find((r) => r.policy === "augserve")!, ratePerS: 5 };
    const html = await renderHtmlReport({ ...input, results: [...input.results, noPlain] });
    const row = (rate: number) => html.split(`data-rate="${rate}"`)[1]!.split("</tbody>")[0]!;
    const plain = input.results.find((r) => r.policy === "plain" && r.ratePerS === 2)!;
    const aug = input.results.find((r) => r.policy === "augserve" && r.ratePerS === 2)!;
    const expected = (aug.goodput / plain.goodput).toLocaleString("en-US", { maximumFractionDigits: 2 });
    expect(row(2)).toContain(`${expected}×`);
    expect(row(5)).toContain("no plain result");
    expect(row(5)).not.toMatch(/\d×/);
  });

  it("renders without optional fields, with a note where a chart lacks data", async () => {
    const html = await renderHtmlReport(minimalResults());
    expect(html).toContain("No per-run TTFT samples in this file");
    expect(html).toContain("No scheduler timeline in this file");
    expect(html).toContain("not recorded");
    expect(html.match(/<svg /g)).toHaveLength(3);
  });

  it("throws BenchResultsError on an invalid object", async () => {
    await expect(renderHtmlReport({ workload: "w" } as unknown as BenchResultsInput)).rejects.toBeInstanceOf(
      BenchResultsError,
    );
  });
});

describe("writeHtmlReport()", () => {
  it("creates missing folders and returns the absolute path written", async () => {
    const path = await writeHtmlReport(minimalResults(), join(dir, "a", "b", "index.html"));
    expect(isAbsolute(path)).toBe(true);
    expect(await readFile(path, "utf8")).toMatch(/^<!doctype html>/);
  });
});

describe("augserve report", () => {
  async function run(...args: string[]): Promise<{ out: string; err: string; code: number }> {
    const out: string[] = [];
    const err: string[] = [];
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation((s) => out.push(String(s)) > 0);
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation((s) => err.push(String(s)) > 0);
    process.exitCode = undefined;
    try {
      const program = new Command().exitOverride();
      registerReportCommand(program);
      await program.parseAsync(["report", ...args], { from: "user" });
      return { out: out.join(""), err: err.join(""), code: Number(process.exitCode ?? 0) };
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
      process.exitCode = undefined;
    }
  }

  it("writes the report to --out and prints its path", async () => {
    const file = join(dir, "results.json");
    await writeFile(file, JSON.stringify(minimalResults()));
    const out = join(dir, "cli", "report.html");
    const result = await run(file, "--out", out);
    expect(result).toEqual({ out: `${out}\n`, err: "", code: 0 });
    expect(await readFile(out, "utf8")).toContain("AugServe report: infercept-mix");
  });

  it("prints the problems of a bad file and exits 1", async () => {
    const file = join(dir, "bad.json");
    await writeFile(file, JSON.stringify({ workload: "w", mode: "virtual", results: [] }));
    const result = await run(file, "--out", join(dir, "never.html"));
    expect(result.code).toBe(1);
    expect(result.out).toBe("");
    expect(result.err).toContain("- results: ");
  });
});
