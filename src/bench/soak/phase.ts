/**
 * One phase of `bench:soak`: groups of users (one group per arm) each run agent after agent for a fixed time,
 * all at once. Measured meanwhile: runs completed and failed per arm and the event loop's delay; around it,
 * the heap after full garbage collections (before, after, and after dropping the middleware's run records,
 * which are retained by design up to a cap). Heap growth per run is meaningful for a single-arm phase; a
 * mixed phase (both arms side by side, the same machine state for both) gives the fairest runs/s ratio.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setImmediate as nextTurn } from "node:timers/promises";

export type SoakArm = "plain" | "augserve";

export interface UserGroup {
  arm: SoakArm;
  users: number;
  /** Runs one agent conversation (the index picks it from the pool). */
  runOnce(index: number): Promise<void>;
}

/** What one phase measured. */
export interface PhaseResult {
  /** The arms that ran: one, or both side by side ("mixed"). */
  kind: SoakArm | "mixed";
  seconds: number;
  /** Runs completed and failed, and runs/s, per arm. */
  arms: Partial<Record<SoakArm, { runs: number; failed: number; runsPerSecond: number }>>;
  /** Heap used after GC before the phase, bytes. */
  heapBeforeBytes: number;
  /** Heap growth after GC per completed run (all arms), bytes: everything the process kept. */
  heapGrowthPerRunBytes: number;
  /** Same, after dropping the middleware's run records. */
  heapGrowthPerRunWithoutRecordsBytes: number;
  /** Event-loop delay during the phase, ms (timer resolution 10 ms). */
  loopDelayMs: { p50: number; p99: number; max: number };
}

export interface PhaseInput {
  groups: readonly UserGroup[];
  seconds: number;
  /** Drops the middleware's run records before the last heap measurement. */
  dropRecords(): void;
  /** Called once a second with the runs completed so far. */
  onSecond?(runs: number): void;
}

type Gc = () => void;

/** Heap used after full collections (several, with event-loop turns between, so finalizers run). */
export async function settledHeap(gc: Gc): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc();
    await nextTurn();
  }
  return process.memoryUsage().heapUsed;
}

export async function runPhase(input: PhaseInput, gc: Gc): Promise<PhaseResult> {
  const heapBeforeBytes = await settledHeap(gc);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  const counts = input.groups.map(() => ({ runs: 0, failed: 0 }));
  let next = 0;
  const total = () => counts.reduce((n, c) => n + c.runs, 0);
  const start = performance.now();
  const deadline = start + input.seconds * 1000;
  const ticker = setInterval(() => input.onSecond?.(total()), 1000);
  delay.enable();
  const user = async (group: UserGroup, count: { runs: number; failed: number }) => {
    while (performance.now() < deadline) {
      try {
        await group.runOnce(next++);
        count.runs++;
      } catch {
        count.failed++;
      }
    }
  };
  await Promise.all(
    input.groups.flatMap((group, g) =>
      Array.from({ length: group.users }, () => user(group, counts[g] as { runs: number; failed: number })),
    ),
  );
  delay.disable();
  clearInterval(ticker);
  const seconds = (performance.now() - start) / 1000;
  const heapAfter = await settledHeap(gc);
  input.dropRecords();
  const heapWithoutRecords = await settledHeap(gc);
  const runs = total();
  const perRun = (bytes: number) => (runs > 0 ? (bytes - heapBeforeBytes) / runs : 0);
  const arms: PhaseResult["arms"] = {};
  input.groups.forEach((group, g) => {
    const c = counts[g] as { runs: number; failed: number };
    arms[group.arm] = { runs: c.runs, failed: c.failed, runsPerSecond: c.runs / seconds };
  });
  const ms = (ns: number) => ns / 1e6;
  return {
    kind: input.groups.length === 1 ? (input.groups[0] as UserGroup).arm : "mixed",
    seconds,
    arms,
    heapBeforeBytes,
    heapGrowthPerRunBytes: perRun(heapAfter),
    heapGrowthPerRunWithoutRecordsBytes: perRun(heapWithoutRecords),
    loopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
  };
}
