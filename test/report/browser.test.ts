/**
 * The HTML report in a real browser driven by playwright-core: a system Chromium when there is one, else the
 * headless Chromium inside the `@sparticuz/chromium` dev dependency (`test/report/chromium.ts`), so the test
 * runs on a bare machine. Saves a full-page screenshot to test-artifacts/report.png.
 */
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeHtmlReport } from "../../src/report/index.js";
import { resolveChromium } from "./chromium.js";
import { FIXTURE_POLICIES, FIXTURE_RATES, fixtureResults } from "./fixture.js";

const ARTIFACTS = resolve("test-artifacts");
const SERIES = FIXTURE_POLICIES.length;
const POINTS = FIXTURE_POLICIES.length * FIXTURE_RATES.length;

let browser: Browser | undefined;
let page: Page;
const consoleErrors: string[] = [];
const failedRequests: string[] = [];
const requested: string[] = [];
let reportUrl: string;

beforeAll(async () => {
  const found = await resolveChromium();
  await mkdir(ARTIFACTS, { recursive: true });
  const path = await writeHtmlReport(fixtureResults(), resolve(ARTIFACTS, "report", "index.html"));
  reportUrl = pathToFileURL(path).href;
  browser = await chromium.launch({
    executablePath: found.executablePath,
    ...(found.env === undefined ? {} : { env: found.env }),
    args: [
      ...found.args,
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(e.message));
  page.on("requestfailed", (r) => failedRequests.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on("request", (r) => requested.push(r.url()));
  await page.goto(reportUrl, { waitUntil: "load" });
}, 180_000); // the first run on a bare machine unpacks the bundled Chromium (~200 MB)

afterAll(async () => {
  await browser?.close();
});

/** Count of elements matching `selector` inside the chart `id`. */
function count(id: string, selector: string): Promise<number> {
  return page.locator(`figure[data-chart="${id}"] svg ${selector}`).count();
}

function texts(id: string, selector: string): Promise<string[]> {
  return page.locator(`figure[data-chart="${id}"] svg ${selector}`).allTextContents();
}

describe("HTML report in Chromium", () => {
  it("loads from file:// with no console errors, no failed requests and nothing fetched", async () => {
    expect(await page.title()).toBe("AugServe report: infercept-mix");
    expect(consoleErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
    expect(requested).toEqual([reportUrl]);
  });

  it("renders every chart as a visible SVG", async () => {
    const ids = await page
      .locator("figure.chart")
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-chart")));
    expect(ids).toEqual(["goodput", "slo", "ttft-p50", "ttft-cdf", "timeline"]);
    expect(await page.locator("figure.chart.empty").count()).toBe(0);
    for (const id of ids) {
      const box = await page.locator(`figure[data-chart="${id}"] svg`).first().boundingBox();
      expect(box?.width, id!).toBeGreaterThan(300);
      expect(box?.height, id!).toBeGreaterThan(150);
    }
  });

  it("draws goodput and SLO attainment: a line per policy, a point per result, spread bars, titled axes", async () => {
    for (const id of ["goodput", "slo"]) {
      expect(await count(id, "g.mark-line.role-mark")).toBe(SERIES);
      expect(await count(id, "g.mark-symbol.role-mark path")).toBe(POINTS);
      expect(await count(id, "g.mark-line.role-mark path[d^='M']")).toBe(SERIES);
      expect(await texts(id, "g.role-legend-label text")).toEqual([...FIXTURE_POLICIES]);
    }
    expect(await count("goodput", "g.mark-rule.role-mark line")).toBe(POINTS);
    // The fixture has spreads for goodput only: the SLO chart has just its 90% threshold rule.
    expect(await count("slo", "g.mark-rule.role-mark line")).toBe(1);
    expect(await texts("goodput", "g.role-axis-title text")).toEqual([
      "Arrival rate (runs/s)",
      "Goodput (runs/s within SLO)",
    ]);
    expect(await texts("slo", "g.role-axis-title text")).toEqual(["Arrival rate (runs/s)", "SLO attainment"]);
  });

  it("draws the median TTFT and the TTFT CDF at the highest rate, one line per policy", async () => {
    expect(await count("ttft-p50", "g.mark-line.role-mark")).toBe(SERIES);
    expect(await count("ttft-cdf", "g.mark-line.role-mark path[d^='M']")).toBe(SERIES);
    expect(await texts("ttft-cdf", "g.role-axis-title text")).toEqual([
      "TTFT (ms, log scale)",
      "Share of runs",
    ]);
    await expect(page.locator('figure[data-chart="ttft-cdf"] figcaption').textContent()).resolves.toContain(
      `at ${Math.max(...FIXTURE_RATES)} runs/s`,
    );
  });

  it("draws the augserve timeline: in-flight tokens and budget, and the queue", async () => {
    expect(await count("timeline", "g.mark-line.role-mark.concat_0_marks path[d^='M']")).toBe(2);
    expect(await count("timeline", "g.mark-area.role-mark path[d^='M']")).toBe(1);
    expect(await texts("timeline", "g.role-axis-title text")).toEqual([
      "Tokens",
      "Time since start of window (s)",
      "Queued calls",
    ]);
    expect(await texts("timeline", "g.role-legend-label text")).toEqual(["In-flight tokens", "Token budget"]);
    await expect(page.locator('figure[data-chart="timeline"] figcaption').textContent()).resolves.toContain(
      "augserve at 6 runs/s",
    );
  });

  it("shows the results table with a row per result and a group per rate", async () => {
    expect(await page.locator("table.results tbody").count()).toBe(FIXTURE_RATES.length);
    expect(await page.locator("table.results tbody tr[data-policy]").count()).toBe(POINTS);
  });

  it("saves a screenshot to test-artifacts/report.png", async () => {
    const shot = await page.screenshot({ path: resolve(ARTIFACTS, "report.png"), fullPage: true });
    expect(shot.byteLength).toBeGreaterThan(10_000);
  });
});
