/**
 * The report's per-rate charts read well for one point or many: lines over several rates, labelled bars for a
 * single rate, the virtual sweep's curves under live points, and no float noise in any axis label.
 */
import { describe, expect, it } from "vitest";
import { rateChartLayout } from "../../src/report/charts.js";
import { parseBenchResults, renderHtmlReport } from "../../src/report/index.js";
import { buildReportModel } from "../../src/report/model.js";
import { fixtureResults, liveWithSweepResults, singleRateLiveResults } from "./fixture.js";

const RATE_CHARTS = ["goodput", "slo", "ttft-p50"] as const;

/** The SVG of one chart of a rendered report. */
function chartSvg(html: string, id: string): string {
  const start = html.indexOf(`data-chart="${id}"`);
  expect(start, id).toBeGreaterThan(0);
  return html.slice(start, html.indexOf("</figure>", start));
}

/** Texts of the `<text>` elements inside the groups of class `cls` (Vega's SVG: one group per mark). */
function texts(svg: string, cls: string): string[] {
  const out: string[] = [];
  for (const group of svg.split(`<g class="${cls}`).slice(1)) {
    const body = group.slice(0, group.indexOf("</g>"));
    for (const m of body.matchAll(/<text[^>]*>([^<]*)<\/text>/g)) out.push(m[1]!);
  }
  return out;
}

/** A number label with float noise: over three significant decimals (0.30000000000000004), or a trailing zero. */
const FLOAT_NOISE = /\.0*[1-9]\d{3,}|\.\d*0(?:%|$)/;

describe("rateChartLayout()", () => {
  it("draws lines over several rates, bars at a single rate, and an overlay with a virtual sweep", () => {
    expect(rateChartLayout(buildReportModel(parseBenchResults(fixtureResults())))).toBe("lines");
    expect(rateChartLayout(buildReportModel(parseBenchResults(singleRateLiveResults())))).toBe("bars");
    expect(rateChartLayout(buildReportModel(parseBenchResults(liveWithSweepResults())))).toBe("overlay");
  });
});

describe("renderHtmlReport() - per-rate charts", () => {
  it("has no float noise in any axis label, for one rate or many", async () => {
    for (const results of [fixtureResults(), singleRateLiveResults(), liveWithSweepResults()]) {
      const html = await renderHtmlReport(results, { generatedAt: new Date(0) });
      for (const id of RATE_CHARTS) {
        const labels = texts(chartSvg(html, id), "mark-text role-axis-label");
        expect(labels.length, id).toBeGreaterThan(2);
        for (const label of labels) expect(label, `${id}: ${label}`).not.toMatch(FLOAT_NOISE);
      }
    }
  });

  it("shows a single rate as one labelled bar per policy, titled with the rate", async () => {
    const html = await renderHtmlReport(singleRateLiveResults(), { generatedAt: new Date(0) });
    for (const id of RATE_CHARTS) {
      const svg = chartSvg(html, id);
      expect(svg.match(/aria-roledescription="bar"/g)?.length, id).toBe(2);
      expect(svg.match(/aria-roledescription="line mark"/g), id).toBeNull();
      const values = texts(svg, "mark-text role-mark");
      expect(values, id).toHaveLength(2);
      for (const v of values) {
        expect(v, id).toMatch(/^[\d,]+(\.\d+)?%?$/);
        expect(v, id).not.toMatch(FLOAT_NOISE);
      }
      expect(texts(svg, "mark-text role-axis-label"), id).toEqual(
        expect.arrayContaining(["plain", "augserve"]),
      );
    }
    expect(html).toContain("Goodput at 0.3 runs/s");
    expect(texts(chartSvg(html, "slo"), "mark-text role-mark")).toContain("13.5%");
  });

  it("draws the virtual sweep as curves and the live points as labelled diamonds on them", async () => {
    const results = liveWithSweepResults();
    const html = await renderHtmlReport(results, { generatedAt: new Date(0) });
    const svg = chartSvg(html, "goodput");
    expect(svg.match(/aria-roledescription="line mark"/g)?.length).toBe(2);
    // A small point per sweep result on the curves, a diamond per live result.
    expect(svg.match(/aria-roledescription="point"/g)?.length).toBe(results.virtualSweep!.results.length + 2);
    expect(texts(svg, "mark-text role-mark")).toHaveLength(2);
    expect(html).toContain("dashed: virtual-time sweep");
    // Sustainable rates come from the sweep, which spans the curve.
    const model = buildReportModel(parseBenchResults(results));
    expect(model.sustainableFrom).toBe("virtualSweep");
    expect(model.sustainableRate.get("plain")).toBe(0.1);
    expect(html).toContain("in the virtual-time sweep of the same workload and profile (12 points)");
  });
});
