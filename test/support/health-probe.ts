/**
 * Polls a server's `/health` while something else runs and records how long each answer took: the measure
 * of "the event loop stays free" in the hardening tests (a server that blocks its loop answers late).
 *
 * A late answer has two causes: the server's loop was busy (what the tests bound), or this process got no
 * CPU (a busy machine: another process holding a core, a shared CI runner). Only the first spends this
 * process's CPU time while the answer waits, so each answer also records `blockedMs`: the smaller of its wall
 * latency and the CPU time the process (all its threads) used meanwhile. A loop blocked for 2 s shows ~2 s in
 * both; a process starved for 2 s shows 2 s of wall time but little CPU time. The tests bound `blockedMs`,
 * which is never above the wall latency, so they are never stricter than a wall-clock bound, and do not
 * depend on the machine's load. (The servers under test run in this process.)
 */
export interface HealthProbe {
  /** Stops polling; resolves with every answer's latency and blocked time, ms, and the statuses seen. */
  stop(): Promise<{ latenciesMs: number[]; blockedMs: number[]; statuses: number[] }>;
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

export function probeHealth(url: string, everyMs = 25): HealthProbe {
  const latenciesMs: number[] = [];
  const blockedMs: number[] = [];
  const statuses: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const start = performance.now();
      const cpuStart = cpuMs();
      try {
        const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(30_000) });
        await res.arrayBuffer();
        statuses.push(res.status);
      } catch {
        statuses.push(0);
      }
      const latency = performance.now() - start;
      latenciesMs.push(latency);
      blockedMs.push(Math.min(latency, cpuMs() - cpuStart));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { latenciesMs, blockedMs, statuses };
    },
  };
}
