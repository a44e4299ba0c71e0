/**
 * Cost of one `predict()` call at a given number of bound tools, in microseconds (mean over many calls,
 * after a warm-up). Three situations a deployment meets:
 * - `firstSight`: a prompt never seen before (full feature scan; the tool-set summary is cached);
 * - `repeat`: the same run predicted again before a later call (the per-prompt cache hits);
 * - `freshToolArray`: a first-sight prompt with the tool list rebuilt as a new array on every call
 *   (the tool-set cache is found by content, not identity);
 * - `perRunCall`: every call of every run in order (first sight, then a repeat per tool round).
 */
import type { Predictor, ToolSchema } from "../../predict/types.js";
import type { GeneratedRun } from "../../workload/types.js";

export interface PredictTiming {
  tools: number;
  firstSightUs: number;
  repeatUs: number;
  freshToolArrayUs: number;
  /** Mean over every call of every run, as a deployment calls it: first sight at k = 0, then repeats. */
  perRunCallUs: number;
}

/** `count` tools made from `tools` (renamed copies with the same descriptions and schemas when too few). */
export function toolsOf(tools: readonly ToolSchema[], count: number): ToolSchema[] {
  const base =
    tools.length > 0 ? tools : [{ name: "tool", description: "A tool", parameters: { type: "object" } }];
  return Array.from({ length: count }, (_, i) => {
    const tool = base[i % base.length]!;
    return { ...tool, name: i < base.length ? tool.name : `${tool.name}_${i}` };
  });
}

/**
 * Mean CPU microseconds (user + system, all threads of this process, GC included) per call of the
 * fastest of 5 batches. CPU time rather than wall time because the machine this runs on is often shared:
 * wall time would count the time other processes held the core.
 */
function microsPerCall(calls: number, body: (i: number) => void): number {
  for (let i = 0; i < Math.min(2000, calls); i++) body(i); // warm-up: JIT and caches
  const batch = Math.max(1, Math.floor(calls / 5));
  let best = Number.POSITIVE_INFINITY;
  for (let b = 0; b < 5; b++) {
    const start = process.cpuUsage();
    for (let i = b * batch; i < (b + 1) * batch; i++) body(i);
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / batch);
  }
  return best;
}

/** Times `predict()` on prompts of `runs` with `toolCount` bound tools. */
export function timePredict(
  predictor: Predictor,
  runs: readonly GeneratedRun[],
  toolCount: number,
  calls = 20_000,
): PredictTiming {
  const sample = runs.length > 0 ? runs : [];
  const tools = toolsOf(sample[0]?.tools ?? [], toolCount);
  const system = sample[0]?.systemPrompt ?? "";
  // Distinct prompts: a run's prompt plus a unique suffix, built before timing.
  const prompts = Array.from(
    { length: calls + 2000 },
    (_, i) => `${sample[i % Math.max(1, sample.length)]?.userPrompt ?? ""} #${i}`,
  );
  const context = (userPrompt: string, toolList: ToolSchema[], k: number) => ({
    systemPrompt: system,
    userPrompt,
    tools: toolList,
    toolRoundsDone: k,
  });
  let sink = 0;
  const firstSightUs = microsPerCall(calls, (i) => {
    sink += predictor.predict(context(prompts[i]!, tools, 0)).remainingToolRounds;
  });
  const repeatUs = microsPerCall(calls, (i) => {
    sink += predictor.predict(context(prompts[i % 8]!, tools, i % 4)).remainingToolRounds;
  });
  const freshToolArrayUs = microsPerCall(calls, (i) => {
    sink += predictor.predict(
      context(prompts[(i + 7919) % prompts.length]!, [...tools], 0),
    ).remainingToolRounds;
  });
  // Each run's calls in turn (k = 0..R), with prompts not seen by the passes above.
  const sequence: [string, number][] = [];
  for (let i = 0; sequence.length < calls; i++) {
    const run = sample[i % Math.max(1, sample.length)];
    const prompt = `${run?.userPrompt ?? ""} @${i}`;
    for (let k = 0; k <= (run?.script.rounds.length ?? 0); k++) sequence.push([prompt, k]);
  }
  const perRunCallUs = microsPerCall(calls, (i) => {
    const [prompt, k] = sequence[i % sequence.length]!;
    sink += predictor.predict(context(prompt, tools, k)).remainingToolRounds;
  });
  if (!Number.isFinite(sink)) throw new Error("a prediction was not finite");
  return { tools: toolCount, firstSightUs, repeatUs, freshToolArrayUs, perRunCallUs };
}
