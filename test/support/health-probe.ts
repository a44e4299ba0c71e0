/**
 * Polls a server's `/health` while something else runs and records how long each answer took: the measure
 * of "the event loop stays free" in the hardening tests (a server that blocks its loop answers late).
 */
export interface HealthProbe {
  /** Stops polling; resolves with every answer's latency, ms, and the statuses seen. */
  stop(): Promise<{ latenciesMs: number[]; statuses: number[] }>;
}

export function probeHealth(url: string, everyMs = 25): HealthProbe {
  const latenciesMs: number[] = [];
  const statuses: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const start = performance.now();
      try {
        const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(30_000) });
        await res.arrayBuffer();
        statuses.push(res.status);
      } catch {
        statuses.push(0);
      }
      latenciesMs.push(performance.now() - start);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { latenciesMs, statuses };
    },
  };
}
