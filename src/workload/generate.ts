/**
 * The seeded generator: a validated workload file -> concrete runs with hidden scripts.
 *
 * Determinism: arrival times come from one stream (seeded by `seed`), and the content of run `i` from a
 * stream seeded by `(seed, i)`. So a given seed always gives the same runs, and changing the rate changes
 * only how many runs arrive and when: run `i` has the same class, prompt and script at every rate.
 */
import { z } from "zod";
import type { ToolSchema } from "../predict/types.js";
import { parseWith } from "../util/index.js";
import { generateArguments } from "./arguments.js";
import { arrivalTimes, withRate } from "./arrivals.js";
import { WORKLOAD_LIMITS } from "./bounds.js";
import { sample, sampleCount } from "./distribution.js";
import { WorkloadValidationError } from "./errors.js";
import { DEFAULT_COUNT_HINT, drawItems, hintTruth, renderTemplate, statedCount } from "./hint.js";
import { padSystemPrompt, padUserPrompt } from "./prompt.js";
import { hashString, Rng } from "./rng.js";
import type { ToolDef, WorkloadClass, WorkloadFile } from "./schema.js";
import { checkExpectedSize, SizeMeter } from "./size.js";
import type { GeneratedRun, GeneratedWorkload, ScriptRound } from "./types.js";

const L = WORKLOAD_LIMITS;

export const GenerateOptionsSchema = z.strictObject({
  /** Overrides the file's seed. */
  seed: z.number().int().optional(),
  /** Overrides the arrival process's mean rate, runs/s (the benchmark's `--rates`), at most 10,000. */
  ratePerS: z.number().finite().positive().max(L.ratePerS).optional(),
});

/** Options of {@link generateWorkload} and `loadWorkload`. */
export type GenerateOptions = z.input<typeof GenerateOptionsSchema>;

/** Validated options (a bad rate or seed throws `WorkloadValidationError` naming the option). */
export function parseGenerateOptions(options: GenerateOptions): GenerateOptions {
  return parseWith(
    GenerateOptionsSchema,
    options,
    (_, cause) => new WorkloadValidationError("generate options", cause),
  );
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

/** Items of `{items}`: uniform from 1 to min(3, items) unless the template says otherwise. */
function itemCountOf(prompt: WorkloadClass["prompts"][number], rng: Rng): number {
  if (prompt.items.length === 0) return 0;
  if (prompt.itemCount !== undefined) return sampleCount(prompt.itemCount, rng, prompt.items.length);
  return rng.int(1, Math.min(3, prompt.items.length));
}

function generateRun(plan: ClassPlan, index: number, arrivalMs: number, rng: Rng): GeneratedRun {
  const { cls, tools } = plan;
  const id = runId(index);
  const rounds = sampleCount(cls.toolRounds, rng, L.toolRounds);
  const prompt = rng.pick(cls.prompts);
  // The listed items are drawn independently of the run's length: examples of the task, not a plan of it.
  const items = drawItems(prompt.items, itemCountOf(prompt, rng), rng);
  const targetTokens = sampleCount(cls.promptTokens, rng, L.tokens);
  const script: ScriptRound[] = [];
  for (let r = 0; r < rounds; r++) {
    const calls = Math.max(1, sampleCount(cls.toolCallsPerRound, rng, L.toolCallsPerRound));
    script.push({
      outputTokens: Math.max(1, sampleCount(cls.outputTokensPerCall, rng, L.tokens)),
      calls: Array.from({ length: calls }, () => {
        const tool = rng.pick(tools);
        // A call acts on one of the items the prompt lists, when its schema takes a string.
        const hint = items.length > 0 ? rng.pick(items) : undefined;
        return {
          tool: tool.name,
          arguments: generateArguments(tool.parameters, rng, hint),
          latencyMs: Math.min(L.latencyMs, Math.max(0, sample(tool.latencyMs, rng))),
          resultTokens: sampleCount(tool.resultTokens, rng, L.tokens),
        };
      }),
    });
  }
  const finalOutputTokens = Math.max(1, sampleCount(cls.finalOutputTokens, rng, L.tokens));
  const hint = cls.countHint ?? DEFAULT_COUNT_HINT;
  const stated = statedCount(hintTruth(hint.of, { rounds: script, finalOutputTokens }), hint, rng);
  const task = renderTemplate(prompt.template, stated, items, rng);
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

/**
 * Concrete runs of a validated synthetic workload file. Deterministic in the seed.
 * @throws WorkloadTooLargeError before generating when the expected size is over a bound of bounds.ts,
 *   or while generating when the drawn size passes one.
 */
export function generateWorkload(file: WorkloadFile, options: GenerateOptions = {}): GeneratedWorkload {
  const o = parseGenerateOptions(options);
  const seed = o.seed ?? file.seed;
  const { arrival, durationS } =
    o.ratePerS === undefined
      ? { arrival: file.arrival, durationS: file.durationS }
      : withRate(file.arrival, file.durationS, o.ratePerS);
  checkExpectedSize(file.name, file, arrival, durationS);
  const times = arrivalTimes(arrival, durationS, new Rng(seed));
  const plans = planClasses(file);
  const weights = file.classes.map((c) => c.weight);
  const meter = new SizeMeter(file.name);
  const runs = times.map((t, i) => {
    const rng = new Rng(hashString(`${seed}:${i}`));
    const at = rng.weighted(weights);
    const run = generateRun(plans[at] as ClassPlan, i, t * 1000, rng);
    const where = `$.classes[${at}]`;
    meter.add(run, [`${where}.toolRounds`, `${where}.outputTokensPerCall`, "$.tools[*].resultTokens"]);
    return run;
  });
  return { name: file.name, seed, durationMs: durationS * 1000, slo: file.slo, runs };
}
