/**
 * Concurrent saves of one predictor state file (issue 25, item 4): every saver succeeds, the file is always
 * one complete state (readers racing the savers parse it), and no temporary file is left behind.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPredictor, loadPredictor, savePredictor } from "../../src/index.js";

describe("savePredictor() under concurrency", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "augserve-save-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("20 concurrent savers on one path all succeed; readers always see one complete state", async () => {
    const path = join(dir, "state.json");
    const predictors = Array.from({ length: 20 }, (_, i) => {
      const p = createPredictor({ hashBits: 8 });
      for (let r = 0; r <= i; r++)
        p.learnRun(
          { systemPrompt: "s", userPrompt: `task ${r}`, tools: [], toolRoundsDone: 0 },
          { toolRounds: 1, toolCallsPerRound: 1, outputTokensPerCall: [10], finalOutputTokens: 20 },
        );
      return p;
    });
    await savePredictor(predictors[0] as (typeof predictors)[number], path);
    let reading = true;
    const reads: number[] = [];
    const reader = (async () => {
      while (reading) {
        const loaded = await loadPredictor(path); // throws on a torn or missing file
        reads.push(loaded.runsLearned);
      }
    })();
    for (let round = 0; round < 3; round++) {
      const results = await Promise.allSettled(predictors.map((p) => savePredictor(p, path)));
      expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    }
    reading = false;
    await reader;
    const final = JSON.parse(await readFile(path, "utf8")) as unknown;
    expect(final).toBeTypeOf("object");
    const runs = (await loadPredictor(path)).runsLearned;
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(runs).toBeLessThanOrEqual(20);
    expect(reads.length).toBeGreaterThan(0);
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
