import { describe, expect, it } from "vitest";
import { BenchFlagsError, parseBenchFlags, runBench } from "../../src/cli/bench-command.js";

describe("augserve bench - flags", () => {
  it("parses lists and numbers, with defaults", () => {
    const flags = parseBenchFlags({
      workload: "w.json",
      policies: "plain, augserve",
      rates: "1,2.5",
      window: "8",
    });
    expect(flags.policies).toEqual(["plain", "augserve"]);
    expect(flags.rates).toEqual([1, 2.5]);
    expect(flags.window).toBe(8);
    expect(flags.mode).toBe("virtual");
    expect(flags.profile).toBe("llama3-8b-h100");
  });

  it("names every bad flag with what was expected and what came", () => {
    try {
      parseBenchFlags({ workload: "w.json", policies: "plain,fifo", rates: "1,x", window: "0" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(BenchFlagsError);
      const message = (error as Error).message;
      expect(message).toContain("--policies");
      expect(message).toContain('got "x"');
      expect(message).toContain("--window");
    }
    expect(() => parseBenchFlags({})).toThrow(/--workload/);
  });

  it("--scheduler-options takes a JSON object", () => {
    const flags = parseBenchFlags({
      workload: "w.json",
      schedulerOptions: '{"budget":{"mode":"fixed","tokens":1000}}',
    });
    expect(flags.schedulerOptions).toEqual({ budget: { mode: "fixed", tokens: 1000 } });
    expect(() => parseBenchFlags({ workload: "w.json", schedulerOptions: "{nope" })).toThrow(
      /--scheduler-options/,
    );
  });

  it("--mode live goes to the live driver, which refuses the oracle (no agent has the script)", async () => {
    await expect(
      runBench(parseBenchFlags({ workload: "w.json", mode: "live", policies: "plain,augserve-oracle" })),
    ).rejects.toThrow(/--mode live runs .*got augserve-oracle/);
  });
});
