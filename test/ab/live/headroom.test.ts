/**
 * The demo's CPU headroom check: the probe measures free cores and speed, and the plan plays the point, lowers
 * its rate or refuses it from those figures alone (the plan is pure, so these tests feed it probe results and do
 * not depend on this machine's speed).
 */
import { describe, expect, it } from "vitest";
import {
  HEADROOM_SHARE,
  MAX_TIMER_DELAY_MS,
  planLiveRate,
  probeHeadroom,
  REFERENCE_UNITS_PER_CPU_MS,
  RUN_CPU_S,
} from "../../../src/ab/live/headroom.js";

const probe = (freeCores: number, speed = 1, timerDelayP99Ms = 2) => ({
  threads: 2,
  freeCores,
  unitsPerCpuMs: speed * REFERENCE_UNITS_PER_CPU_MS,
  timerDelayP99Ms,
  wallMs: 400,
});

describe("planLiveRate()", () => {
  it("plays the point when it needs at most the usable share of the free cores", () => {
    const plan = planLiveRate(probe(2), { rate: 1.2, arms: 3, minRate: 0.6 });
    expect(plan.decision).toBe("run");
    expect(plan.rate).toBe(1.2);
    expect(plan.neededCores).toBeCloseTo(3 * 1.2 * RUN_CPU_S, 10);
    expect(plan.usableCores).toBeCloseTo(2 * HEADROOM_SHARE, 10);
    expect(plan.message).toMatch(/^CPU headroom: 2\.00 free cores of 2 probed, 1\.00x the reference speed/);
  });

  it("lowers the rate to what fits when that is still above the lowest rate worth playing", () => {
    // One free core at the reference speed: 0.5 usable cores carry 0.5 / (3 x 0.15) = 1.11 runs/s.
    const plan = planLiveRate(probe(1), { rate: 1.2, arms: 3, minRate: 0.6 });
    expect(plan.decision).toBe("lowered");
    expect(plan.rate).toBe(1.1);
    expect(plan.message).toMatch(/playing 1\.1 runs\/s instead/);
  });

  it("refuses, printing no figure of the point, when even the lowest rate does not fit", () => {
    const plan = planLiveRate(probe(0.3), { rate: 1.2, arms: 3, minRate: 0.6 });
    expect(plan.decision).toBe("refuse");
    expect(plan.rate).toBeNull();
    expect(plan.message).toMatch(/Not started/);
    expect(plan.message).toMatch(/below 0\.6 runs\/s/);
  });

  it("refuses when timers already fire late, however many cores are free", () => {
    const plan = planLiveRate(probe(2, 1, MAX_TIMER_DELAY_MS + 30), { rate: 1.2, arms: 3, minRate: 0.6 });
    expect(plan.decision).toBe("refuse");
    expect(plan.message).toMatch(/timers fire 80 ms late/);
  });

  it("scales the cost of a run by the machine's measured speed", () => {
    const slow = planLiveRate(probe(2, 0.5), { rate: 1.2, arms: 3, minRate: 0.6 });
    expect(slow.runCpuS).toBeCloseTo(2 * RUN_CPU_S, 10);
    expect(slow.decision).toBe("lowered");
    expect(() => planLiveRate(probe(1), { rate: 0, arms: 3, minRate: 0.6 })).toThrow(RangeError);
  });
});

describe("probeHeadroom()", () => {
  it("reports free cores within the threads it ran and a positive speed", async () => {
    const p = await probeHeadroom({ threads: 2, ms: 100 });
    expect(p.threads).toBeGreaterThanOrEqual(1);
    expect(p.threads).toBeLessThanOrEqual(2);
    expect(p.freeCores).toBeGreaterThan(0);
    expect(p.freeCores).toBeLessThanOrEqual(p.threads);
    expect(p.unitsPerCpuMs).toBeGreaterThan(0);
    expect(p.timerDelayP99Ms).toBeGreaterThanOrEqual(0);
    await expect(probeHeadroom({ ms: 10 })).rejects.toThrow(RangeError);
  });
});
