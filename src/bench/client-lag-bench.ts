/**
 * `npm run bench:client-lag [-- --profile P] [--rate R] [--duration S] [--seed N] [--hog 0.3] [--repeats K]
 * [--json OUT] [--quiet]`: what a busy app process does to each arm (issue 20, docs/benchmarks.md "Client lag").
 *
 * Live, in real time (time scale 1): real LangChain agents over real HTTP against the embedded simulator, which
 * runs in a worker thread (its own event loop: the server is another machine's CPU in production). In the
 * agents' process a CPU hog, a timer that busy-loops `hog x period` ms of every `period` (30% of the event loop
 * by default), stands for the app's own work. Each repeat runs, side by side: `plain` and `augserve` without the
 * hog, then with it, and `augserve` with the hog but without the lag discount (`budget.clientLagDiscount:
 * false`, the ablation). The figure: how much each arm's goodput falls with the hog; the target is that
 * augserve's falls by no more than plain's. The rate is below plain's sustainable rate on the profile, so
 * that the server copes and any loss is the client's.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";
import { runLive } from "../ab/live/driver.js";
import type { LivePolicy } from "../ab/live/options.js";
import { withDuration } from "../ab/virtual/sweep.js";
import type { SchedulerOptions } from "../scheduler/options.js";
import { parseFlagsOrExit } from "../util/index.js";
import { loadWorkload } from "../workload/load.js";

const FlagsSchema = z.strictObject({
  profile: z.string().min(1).default("llama3-8b-a10g"),
  rate: z.coerce.number().positive("expected --rate > 0 runs/s").default(0.75),
  duration: z.coerce.number().positive("expected --duration > 0 s").default(60),
  seed: z.coerce.number().int("expected --seed to be an integer").default(7),
  hog: z.coerce.number().gt(0).lt(1, "expected --hog in (0, 1): the share of the event loop").default(0.3),
  "hog-period": z.coerce.number().min(10, "expected --hog-period >= 10 ms").default(100),
  repeats: z.coerce.number().int().min(1).max(10).default(1),
  json: z.string().min(1).optional(),
  quiet: z.boolean().default(false),
});

/** Busy-loops `share x periodMs` of every `periodMs` on this event loop; returns its stop function. */
export function startCpuHog(share: number, periodMs: number): () => void {
  const busyMs = share * periodMs;
  const timer = setInterval(() => {
    const end = performance.now() + busyMs;
    while (performance.now() < end) {
      // The app's own work: nothing else runs on this loop meanwhile.
    }
  }, periodMs - busyMs);
  return () => clearInterval(timer);
}

interface Arm {
  name: string;
  policy: LivePolicy;
  hog: boolean;
  schedulerOptions?: SchedulerOptions;
}

const ARMS: Arm[] = [
  { name: "plain", policy: "plain", hog: false },
  { name: "augserve", policy: "augserve", hog: false },
  { name: "plain + hog", policy: "plain", hog: true },
  { name: "augserve + hog", policy: "augserve", hog: true },
  {
    name: "augserve + hog, no lag discount",
    policy: "augserve",
    hog: true,
    schedulerOptions: { budget: { clientLagDiscount: false } },
  },
];

interface Row {
  arm: string;
  repeat: number;
  goodput: number;
  sloPct: number;
  ttftMeanMs: number | null;
  ttftP50Ms: number | null;
  ttftP99Ms: number | null;
  lagP99Ms: number;
  cpuCores: number;
  wallS: number;
  /** The scheduler's budget over the point (augserve arms): lowest and median, tokens. */
  budgetMin: number | null;
  budgetMedian: number | null;
}

const f = (x: number | null, digits = 0) => (x === null ? "-" : x.toFixed(digits));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      profile: { type: "string" },
      rate: { type: "string" },
      duration: { type: "string" },
      seed: { type: "string" },
      hog: { type: "string" },
      "hog-period": { type: "string" },
      repeats: { type: "string" },
      json: { type: "string" },
      quiet: { type: "boolean" },
    },
    strict: true,
  });
  const o = parseFlagsOrExit(
    "bench:client-lag",
    FlagsSchema,
    values,
    (issue) => `--${issue.path.join(".")}: ${issue.message}`,
  );
  if (o === undefined) return;
  const source = withDuration("workloads/infercept-mix.json", o.duration);
  const log = (line: string) => (o.quiet ? undefined : process.stderr.write(`${line}\n`));
  const rows: Row[] = [];
  for (let repeat = 1; repeat <= o.repeats; repeat++) {
    for (const arm of ARMS) {
      const workload = loadWorkload(source, { ratePerS: o.rate, seed: o.seed });
      const stopHog = arm.hog ? startCpuHog(o.hog, o["hog-period"]) : () => {};
      try {
        const result = await runLive({
          workload,
          policy: arm.policy,
          profile: o.profile,
          timeScale: 1,
          simThread: true,
          stopWhenSloDecided: true,
          ...(arm.schedulerOptions ? { schedulerOptions: arm.schedulerOptions } : {}),
        });
        const s = result.summary;
        const budgets = result.timeline.map((p) => p.budgetTokens);
        const row: Row = {
          arm: arm.name,
          repeat,
          goodput: s.goodput,
          sloPct: 100 * s.sloAttainment,
          ttftMeanMs: s.ttftMs.mean,
          ttftP50Ms: s.ttftMs.p50,
          ttftP99Ms: s.ttftMs.p99,
          lagP99Ms: result.load.lagP99Ms,
          cpuCores: result.load.cpuCores,
          wallS: result.wallMs / 1000,
          budgetMin: budgets.length > 0 ? Math.min(...budgets) : null,
          budgetMedian: budgets.length > 0 ? median(budgets) : null,
        };
        rows.push(row);
        log(
          `repeat ${repeat} ${arm.name}: goodput ${row.goodput.toFixed(3)}/s, ${row.sloPct.toFixed(1)}% in SLO`,
        );
      } finally {
        stopHog();
      }
    }
  }
  process.stdout.write(`${report(rows, o)}\n`);
  if (o.json !== undefined) writeFileSync(o.json, `${JSON.stringify({ options: o, rows }, null, 2)}\n`);
}

function report(rows: Row[], o: z.output<typeof FlagsSchema>): string {
  const lines = [
    `client lag: infercept-mix seed ${o.seed}, profile ${o.profile}, ${o.rate} runs/s over ${o.duration} s, live, ` +
      `time scale 1, simulator in a worker; hog = ${Math.round(o.hog * 100)}% of the agents' event loop ` +
      `(${f(o.hog * o["hog-period"])} ms busy every ${o["hog-period"]} ms)`,
    "",
    "| arm | repeat | goodput/s | SLO % | TTFT mean / p50 / p99 (ms) | loop delay p99 (ms) | CPU cores | budget min / median | wall s |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of rows)
    lines.push(
      `| ${r.arm} | ${r.repeat} | ${r.goodput.toFixed(3)} | ${r.sloPct.toFixed(1)} | ` +
        `${f(r.ttftMeanMs)} / ${f(r.ttftP50Ms)} / ${f(r.ttftP99Ms)} | ${f(r.lagP99Ms)} | ${r.cpuCores.toFixed(2)} | ${f(r.budgetMin)} / ${f(r.budgetMedian)} | ${f(r.wallS)} |`,
    );
  const good = (arm: string) => median(rows.filter((r) => r.arm === arm).map((r) => r.goodput));
  const fall = (arm: string) => {
    const base = good(arm);
    return base > 0 ? 1 - good(`${arm} + hog`) / base : 0;
  };
  const plainFall = fall("plain");
  const augFall = fall("augserve");
  const noDiscount =
    good("augserve") > 0 ? 1 - good("augserve + hog, no lag discount") / good("augserve") : 0;
  lines.push(
    "",
    `goodput fall with the hog (medians over repeats): plain ${(100 * plainFall).toFixed(1)}%, ` +
      `augserve ${(100 * augFall).toFixed(1)}%, augserve without the lag discount ${(100 * noDiscount).toFixed(1)}%; ` +
      `target augserve <= plain: ${augFall <= Math.max(0, plainFall) + 1e-9 ? "met" : "missed"}`,
  );
  return lines.join("\n");
}

await main();
