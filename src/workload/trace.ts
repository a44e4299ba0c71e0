/**
 * Recorded traces (`format: "augserve-trace/v1"`) -> concrete runs.
 *
 * Segment `k` (all but the last) becomes tool round `k`: its `outputTokens` are the call's output, its
 * `toolLatencyMs` the tool phase, and the tool's result tokens are the growth of the context,
 * `promptTokens[k+1] - promptTokens[k] - outputTokens[k]` (falling back to `toolResultTokens` when the
 * growth is negative, i.e. the recording truncated the context). The last segment's output is the final
 * answer. Traces record one interception per segment, so every round has one call.
 *
 * Arrivals: with an `arrival` process (or a `ratePerS` override), runs are drawn uniformly with replacement
 * at that process's times over `durationS`, as InferCept's benchmark does; without, each run arrives at its
 * `arrivalS`. Prompts and tools are optional: a missing system prompt is synthesized per class and padded to
 * what every first prompt of the class can share (so the prefix cache sees the shared few-shot prefix a real
 * deployment has); a missing user prompt is synthesized; a missing tool is a generic one-string-argument tool.
 * The run's `promptTokens` is always the trace's first `promptTokens`.
 */
import type { ToolSchema } from "../predict/types.js";
import { generateArguments } from "./arguments.js";
import { arrivalTimes } from "./arrivals.js";
import { type GenerateOptions, parseGenerateOptions, runId, toolSchema } from "./generate.js";
import { padSystemPrompt } from "./prompt.js";
import { hashString, Rng } from "./rng.js";
import type { Arrival, TraceFile } from "./schema.js";
import { checkExpectedRuns, SizeMeter } from "./size.js";
import type { GeneratedRun, GeneratedWorkload, ScriptRound } from "./types.js";

type TraceRun = TraceFile["runs"][number];

/** Room left in a first prompt for the user message and template tokens when sizing a shared system prompt. */
const USER_ROOM_TOKENS = 64;

function sanitize(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]+/g, "_").slice(0, 40) || "tool";
}

function genericTool(name: string): ToolSchema {
  return {
    name,
    description: `External tool ${name}`,
    parameters: { type: "object", properties: { input: { type: "string" } }, required: ["input"] },
  };
}

function classSystemPrompts(file: TraceFile): Map<string, string> {
  const minFirst = new Map<string, number>();
  for (const run of file.runs) {
    const cls = run.class ?? "default";
    const first = run.segments[0]?.promptTokens ?? 0;
    minFirst.set(cls, Math.min(minFirst.get(cls) ?? Infinity, first));
  }
  const out = new Map<string, string>();
  for (const [cls, first] of minFirst) {
    const base = `You are an assistant that handles ${cls} requests with the tools you are given.`;
    out.set(cls, padSystemPrompt(base, Math.max(0, first - USER_ROOM_TOKENS)));
  }
  return out;
}

function convertRun(
  file: TraceFile,
  run: TraceRun,
  index: number,
  arrivalMs: number,
  systemPrompts: Map<string, string>,
  defined: Map<string, ToolSchema>,
): GeneratedRun {
  const cls = run.class ?? "default";
  const id = `${runId(index)}-${run.id}`;
  const toolNames = run.tools ?? [
    ...new Set(run.segments.slice(0, -1).map((s) => s.tool ?? `${sanitize(cls)}_tool`)),
  ];
  const tools = toolNames.map((name) => defined.get(name) ?? genericTool(name));
  const rng = new Rng(hashString(`${file.seed}:${id}`));
  const rounds: ScriptRound[] = [];
  const segments = run.segments;
  for (let k = 0; k < segments.length - 1; k++) {
    const seg = segments[k]!;
    const next = segments[k + 1]!;
    const growth = next.promptTokens - seg.promptTokens - seg.outputTokens;
    const toolName = seg.tool ?? toolNames[0] ?? `${sanitize(cls)}_tool`;
    const tool = tools.find((t) => t.name === toolName) ?? genericTool(toolName);
    rounds.push({
      outputTokens: Math.max(1, seg.outputTokens),
      calls: [
        {
          tool: toolName,
          arguments: generateArguments(tool.parameters, rng),
          latencyMs: seg.toolLatencyMs ?? 0,
          resultTokens: growth >= 0 ? growth : (seg.toolResultTokens ?? 0),
        },
      ],
    });
  }
  const task = run.userPrompt ?? `Please handle this ${cls} request.`;
  return {
    id,
    arrivalMs,
    className: cls,
    systemPrompt: run.systemPrompt ?? systemPrompts.get(cls) ?? "",
    // The reference makes the prompt unique (the simulator keys scripts by it) without naming the recorded
    // run: a run drawn twice must not tell a predictor "this is recorded run X again".
    userPrompt: `${task} (Request ${runId(index)}.)`,
    tools,
    promptTokens: segments[0]!.promptTokens,
    script: { rounds, finalOutputTokens: Math.max(1, segments[segments.length - 1]!.outputTokens) },
  };
}

/** Concrete runs of a validated trace file. Deterministic in the seed. */
export function convertTrace(file: TraceFile, options: GenerateOptions = {}): GeneratedWorkload {
  const o = parseGenerateOptions(options);
  const seed = o.seed ?? file.seed;
  const systemPrompts = classSystemPrompts(file);
  const defined = new Map(file.tools.map((t) => [t.name, toolSchema(t)]));
  const lastArrival = Math.max(0, ...file.runs.map((r) => r.arrivalS ?? 0));
  const durationS = file.durationS ?? Math.max(1, Math.ceil(lastArrival));
  let arrival: Arrival | undefined = file.arrival;
  if (o.ratePerS !== undefined)
    arrival =
      arrival === undefined || arrival.process === "trace"
        ? { process: "poisson", ratePerS: o.ratePerS }
        : { ...arrival, ratePerS: o.ratePerS };
  const meter = new SizeMeter(file.name);
  const metered = (run: GeneratedRun, i: number) => {
    meter.add(run, [`$.runs[${i}].segments`]);
    return run;
  };

  if (arrival === undefined) {
    const arrivalOf = (at: number) => file.runs[at]!.arrivalS ?? 0;
    const ordered = file.runs.map((_, at) => at).sort((a, b) => arrivalOf(a) - arrivalOf(b));
    const runs = ordered.map((at, i) => {
      return metered(convertRun(file, file.runs[at]!, i, arrivalOf(at) * 1000, systemPrompts, defined), at);
    });
    return { name: file.name, seed, durationMs: durationS * 1000, slo: file.slo, runs };
  }
  checkExpectedRuns(file.name, arrival, durationS);
  const rng = new Rng(seed);
  const times = arrivalTimes(arrival, durationS, rng);
  const picks = new Rng(hashString(`picks:${seed}`));
  const runs = times.map((t, i) => {
    const at = Math.floor(picks.next() * file.runs.length);
    const run = file.runs[at]!;
    return metered(convertRun(file, run, i, t * 1000, systemPrompts, defined), at);
  });
  return { name: file.name, seed, durationMs: durationS * 1000, slo: file.slo, runs };
}
