/**
 * The seeded generator: a validated workload file -> concrete runs with hidden scripts.
 *
 * Determinism: arrival times come from one stream (seeded by `seed`), and the content of run `i` from a
 * stream seeded by `(seed, i)`. So a given seed always gives the same runs, and changing the rate changes
 * only how many runs arrive and when: run `i` has the same class, prompt and script at every rate.
 */
import type { ToolSchema } from "../../predict/types.js";
import { generateArguments } from "./arguments.js";
import { arrivalTimes, withRate } from "./arrivals.js";
import { sample, sampleCount } from "./distribution.js";
import { padSystemPrompt, padUserPrompt, renderTemplate } from "./prompt.js";
import { hashString, Rng } from "./rng.js";
import type { ToolDef, WorkloadClass, WorkloadFile } from "./schema.js";
import type { GeneratedRun, GeneratedWorkload, ScriptRound } from "./types.js";

/** Options of {@link generateWorkload} and `loadWorkload`. */
export interface GenerateOptions {
  /** Overrides the file's seed. */
  seed?: number;
  /** Overrides the arrival process's mean rate, runs/s (the benchmark's `--rates`). */
  ratePerS?: number;
}

/** `r00042`: ids sort in arrival order. */
export function runId(index: number): string {
  return `r${String(index).padStart(5, "0")}`;
}

/** A tool as bound to an agent (what the model and the predictor see). */
export function toolSchema(tool: Pick<ToolDef, "name" | "description" | "parameters">): ToolSchema {
  return { name: tool.name, description: tool.description, parameters: tool.parameters };
}

interface ClassPlan {
  cls: WorkloadClass;
  systemPrompt: string;
  tools: ToolDef[];
  schemas: ToolSchema[];
}

function planClasses(file: WorkloadFile): ClassPlan[] {
  const byName = new Map(file.tools.map((t) => [t.name, t]));
  return file.classes.map((cls) => {
    const tools = cls.tools.map((name) => byName.get(name) as ToolDef);
    return {
      cls,
      systemPrompt: padSystemPrompt(cls.systemPrompt, cls.systemPromptTokens),
      tools,
      schemas: tools.map(toolSchema),
    };
  });
}

function generateRun(plan: ClassPlan, index: number, arrivalMs: number, rng: Rng): GeneratedRun {
  const { cls, tools } = plan;
  const id = runId(index);
  const rounds = sampleCount(cls.toolRounds, rng);
  const prompt = rng.pick(cls.prompts);
  const task = renderTemplate(prompt.template, rounds, prompt.items, rng);
  const targetTokens = sampleCount(cls.promptTokens, rng);
  const script: ScriptRound[] = [];
  for (let r = 0; r < rounds; r++) {
    const calls = Math.max(1, sampleCount(cls.toolCallsPerRound, rng));
    script.push({
      outputTokens: Math.max(1, sampleCount(cls.outputTokensPerCall, rng)),
      calls: Array.from({ length: calls }, () => {
        const tool = rng.pick(tools);
        const hint = prompt.items.length > 0 ? rng.pick(prompt.items) : undefined;
        return {
          tool: tool.name,
          arguments: generateArguments(tool.parameters, rng, hint),
          latencyMs: Math.max(0, sample(tool.latencyMs, rng)),
          resultTokens: sampleCount(tool.resultTokens, rng),
        };
      }),
    });
  }
  const finalOutputTokens = Math.max(1, sampleCount(cls.finalOutputTokens, rng));
  const { userPrompt, promptTokens } = padUserPrompt(
    plan.systemPrompt,
    task,
    `(Request ${id}.)`,
    plan.schemas,
    targetTokens,
  );
  return {
    id,
    arrivalMs,
    className: cls.name,
    systemPrompt: plan.systemPrompt,
    userPrompt,
    tools: plan.schemas,
    promptTokens,
    script: { rounds: script, finalOutputTokens },
  };
}

/** Concrete runs of a validated synthetic workload file. Deterministic in the seed. */
export function generateWorkload(file: WorkloadFile, options: GenerateOptions = {}): GeneratedWorkload {
  const seed = options.seed ?? file.seed;
  const { arrival, durationS } =
    options.ratePerS === undefined
      ? { arrival: file.arrival, durationS: file.durationS }
      : withRate(file.arrival, file.durationS, options.ratePerS);
  const times = arrivalTimes(arrival, durationS, new Rng(seed));
  const plans = planClasses(file);
  const weights = file.classes.map((c) => c.weight);
  const runs = times.map((t, i) => {
    const rng = new Rng(hashString(`${seed}:${i}`));
    const plan = plans[rng.weighted(weights)] as ClassPlan;
    return generateRun(plan, i, t * 1000, rng);
  });
  return { name: file.name, seed, durationMs: durationS * 1000, slo: file.slo, runs };
}
