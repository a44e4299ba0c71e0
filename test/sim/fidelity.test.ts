import { describe, expect, it } from "vitest";
import { SIM_PROFILES } from "../../src/sim/engine/profiles.js";
import { EXTRAPOLATED_PROFILES, fidelityTable } from "../../src/sim/fidelity.js";

describe("fidelityTable()", () => {
  it("every profile reproduces its published TTFT, inter-token latency and saturated throughput within 20%", () => {
    const rows = fidelityTable();
    for (const name of Object.keys(SIM_PROFILES)) {
      const held = rows.filter((r) => r.profile === name && !r.informational);
      // An extrapolated profile (no published figures found) has no rows to pass for a fit.
      if (name in EXTRAPOLATED_PROFILES) {
        expect(held, name).toEqual([]);
        continue;
      }
      expect(new Set(held.map((r) => r.metric))).toEqual(new Set(["ttft", "itl", "throughput"]));
    }
    for (const row of rows.filter((r) => !r.informational)) {
      expect(
        Math.abs(row.error),
        `${row.profile} ${row.metric}: ${row.simulated} vs ${row.published}`,
      ).toBeLessThan(0.2);
    }
  });
});
