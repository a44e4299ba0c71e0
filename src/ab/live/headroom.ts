/**
 * CPU headroom of a live point, measured before it starts. Live agents cost CPU (LangChain's graph, the OpenAI
 * client's SSE parsing, the simulator's steps): about {@link RUN_CPU_S} CPU-s per `infercept-mix` run on the
 * reference machine (docs/live.md). When the machine cannot carry a point, every latency measured is the
 * process's own lag, and the A/B measures the client instead of the server. So the demo first measures what it
 * has (`probeHeadroom`: a fixed CPU kernel in one thread per arm for a fraction of a second), then decides
 * (`planLiveRate`, pure): play the point, play it at a lower rate, or refuse without printing any figure.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

/** CPU time of one `infercept-mix` run (agent, HTTP, simulator) on the reference machine, s (docs/live.md). */
export const RUN_CPU_S = 0.15;
/**
 * Kernel units per CPU-ms of the reference machine (the 2-core development machine that measured
 * {@link RUN_CPU_S}; a median of 6 probes while loaded, units per CPU-ms do not depend on load).
 */
export const REFERENCE_UNITS_PER_CPU_MS = 830;
/** Share of the free cores a point may need: the rest absorbs bursts (arrivals cluster), GC and the OS. */
export const HEADROOM_SHARE = 0.5;
/**
 * Timer delay (p99, ms) above which the machine is too busy for any live point: other processes hold the cores
 * so that a woken thread waits that long for one, whatever rate is played. Half the live flag's 100 ms, since a
 * point adds its own load to it.
 */
export const MAX_TIMER_DELAY_MS = 50;

/** What the probe measured. */
export interface HeadroomProbe {
  /** Threads that ran the kernel at once. */
  threads: number;
  /** CPU the process got per wall ms while they ran: free cores, at most `threads`. */
  freeCores: number;
  /** Kernel units per CPU-ms: this machine's speed (the reference is {@link REFERENCE_UNITS_PER_CPU_MS}). */
  unitsPerCpuMs: number;
  /** p99 of how late 1-ms timers fired on an idle event loop before the spin, ms: the OS's wake-up delay. */
  timerDelayP99Ms: number;
  wallMs: number;
}

/** Sets 1-ms timers one after another for `ms` and returns how late they fired (ms, sorted). */
async function timerDelays(ms: number): Promise<number[]> {
  const delays: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const set = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1));
    // Node fires a 1-ms timer after >= 1 ms; what exceeds it is the wait for the thread to run.
    delays.push(Math.max(0, performance.now() - set - 1));
  }
  return delays.sort((a, b) => a - b);
}

/**
 * The kernel: small JSON round trips, allocation-heavy like an agent's message handling. Runs for `ms` wall ms
 * and posts the units done. A script (not a module) so that a worker runs it without a TypeScript loader.
 */
const KERNEL = `
const { parentPort, workerData } = require("node:worker_threads");
const end = performance.now() + workerData.ms;
let units = 0, sink = 0;
while (performance.now() < end) {
  for (let k = 0; k < 50; k++) {
    const o = JSON.parse(JSON.stringify({ i: units, s: "token " + (units & 1023), a: [units, units + 1, units + 2] }));
    sink += o.a[1];
    units++;
  }
}
parentPort.postMessage({ units, sink });
`;

/**
 * Runs the kernel in `threads` worker threads at once for `ms` wall ms and reads the process's CPU time over
 * that span. Worker start-up is counted in the CPU but not in the units, so the probe errs on the slow side.
 * @param threads threads at once (the arms of the point, at most the machine's cores) @default 2
 * @param ms wall ms each thread spins, >= 50 @default 400
 */
export async function probeHeadroom(options: { threads?: number; ms?: number } = {}): Promise<HeadroomProbe> {
  const threads = Math.max(1, Math.min(options.threads ?? 2, availableParallelism()));
  const ms = options.ms ?? 400;
  if (!(ms >= 50)) throw new RangeError(`Expected ms >= 50, got ${ms}`);
  const delays = await timerDelays(ms);
  const timerDelayP99Ms = delays[Math.min(delays.length - 1, Math.floor(delays.length * 0.99))] ?? 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const units = await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<number>((resolve, reject) => {
          const worker = new Worker(KERNEL, { eval: true, workerData: { ms } });
          worker.once("message", (m: { units: number }) => {
            resolve(m.units);
            void worker.terminate();
          });
          worker.once("error", reject);
        }),
    ),
  );
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const cpuMs = Math.max(1, (used.user + used.system) / 1000);
  return {
    threads,
    freeCores: Math.min(threads, cpuMs / wallMs),
    unitsPerCpuMs: units.reduce((s, u) => s + u, 0) / cpuMs,
    timerDelayP99Ms,
    wallMs,
  };
}

/** What `planLiveRate` decided. */
export interface LiveRatePlan {
  /** `run`: the rate asked for; `lowered`: a lower rate that the machine carries; `refuse`: none. */
  decision: "run" | "lowered" | "refuse";
  /** The rate to play, runs/s (`null` when refused). */
  rate: number | null;
  requestedRate: number;
  /** CPU cores the requested rate needs on this machine. */
  neededCores: number;
  /** Cores the point may use: {@link HEADROOM_SHARE} of the free ones. */
  usableCores: number;
  /** CPU-s a run costs on this machine (the reference cost scaled by the measured speed). */
  runCpuS: number;
  /** The sentence the demo prints. */
  message: string;
}

export interface LiveRateNeeds {
  /** Runs/s asked for, per arm. */
  rate: number;
  /** Arms played at once. */
  arms: number;
  /** The lowest rate still worth playing (above plain's sustainable rate); below it the point is refused. */
  minRate: number;
  /** @default RUN_CPU_S */
  referenceRunCpuS?: number;
  /** @default HEADROOM_SHARE */
  share?: number;
}

const f2 = (x: number) => x.toFixed(2);

/**
 * Whether this machine carries the point: it needs `arms x rate x runCpuS` cores, where `runCpuS` is the
 * reference cost scaled by the probe's speed, and may use `share` of the free cores. Lowers the rate to what
 * fits when that is still >= `minRate` (rounded down to 0.05 runs/s); refuses otherwise, and also when timers
 * already fire more than {@link MAX_TIMER_DELAY_MS} late (a lower rate cannot help there).
 * @example planLiveRate(await probeHeadroom({ threads: 3 }), { rate: 1.2, arms: 3, minRate: 0.6 })
 */
export function planLiveRate(probe: HeadroomProbe, needs: LiveRateNeeds): LiveRatePlan {
  const { rate, arms, minRate } = needs;
  if (!(rate > 0 && arms >= 1 && minRate > 0))
    throw new RangeError(`Expected rate > 0, arms >= 1, minRate > 0, got ${rate}, ${arms}, ${minRate}`);
  const share = needs.share ?? HEADROOM_SHARE;
  const runCpuS =
    (needs.referenceRunCpuS ?? RUN_CPU_S) *
    (REFERENCE_UNITS_PER_CPU_MS / Math.max(1e-9, probe.unitsPerCpuMs));
  const neededCores = arms * rate * runCpuS;
  const usableCores = share * probe.freeCores;
  const measured =
    `CPU headroom: ${f2(probe.freeCores)} free cores of ${probe.threads} probed, ` +
    `${f2(probe.unitsPerCpuMs / REFERENCE_UNITS_PER_CPU_MS)}x the reference speed; ` +
    `${arms} arms x ${rate} runs/s x ${f2(runCpuS)} CPU-s a run need ${f2(neededCores)} cores`;
  const base = { requestedRate: rate, neededCores, usableCores, runCpuS };
  if (probe.timerDelayP99Ms > MAX_TIMER_DELAY_MS)
    return {
      ...base,
      decision: "refuse",
      rate: null,
      message:
        `${measured}; but timers fire ${probe.timerDelayP99Ms.toFixed(0)} ms late (p99, over ` +
        `${MAX_TIMER_DELAY_MS} ms) before the point adds any load: other processes hold the cores. Not ` +
        `started: on this machine the live figures would measure its own load, not the server. Free some CPU ` +
        `and run it again, or see the same runs in virtual time: augserve bench --mode virtual.`,
    };
  if (neededCores <= usableCores)
    return {
      ...base,
      decision: "run",
      rate,
      message: `${measured}, within ${Math.round(share * 100)}% of the free cores.`,
    };
  const fits = Math.floor((usableCores / (arms * runCpuS)) * 20) / 20;
  if (fits >= minRate)
    return {
      ...base,
      decision: "lowered",
      rate: fits,
      message:
        `${measured}, more than ${Math.round(share * 100)}% of the free cores (${f2(usableCores)}): playing ` +
        `${fits} runs/s instead (still above plain's sustainable rate; the lowest rate played is ${minRate}).`,
    };
  return {
    ...base,
    decision: "refuse",
    rate: null,
    message:
      `${measured}; ${Math.round(share * 100)}% of the free cores (${f2(usableCores)}) carries ${fits} runs/s, ` +
      `below ${minRate} runs/s, the lowest rate that still overloads the server. Not started: on this machine ` +
      `the live figures would measure its own load, not the server. Free some CPU and run it again, or see ` +
      `the same runs in virtual time: augserve bench --mode virtual.`,
  };
}
