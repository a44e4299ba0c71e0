/**
 * The two kinds of workload file (DESIGN.md section 6, issue 4), validated with zod: a synthetic
 * population (`WorkloadFileSchema`) and a recorded trace (`TraceFileSchema`, `format: "augserve-trace/v1"`).
 * Cross-field rules (unknown tool names, duplicate names, missing arrival times) are checked here too, so a
 * bad file is rejected once with the JSON path of every problem.
 */
import { z } from "zod";
import { SloSchema } from "../metrics/index.js";
import { UniqueKeys } from "../util/index.js";
import {
  boundedDistribution,
  CallsPerRoundSchema,
  LatencySchema,
  TokenCount,
  TokensSchema,
  ToolRoundsSchema,
  WORKLOAD_LIMITS,
} from "./bounds.js";
import { upperBound } from "./distribution.js";
import { CountHintSchema } from "./hint.js";

const finite = z.number().finite();
const L = WORKLOAD_LIMITS;
/** A rate within the bound of bounds.ts. */
const Rate = finite.positive().max(L.ratePerS);
/** A time in seconds within the window bound. */
const Seconds = finite.positive().max(L.durationS);
/** OpenAI function names: letters, digits, `_` and `-`, at most 64 characters. */
const ToolName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "expected a tool name of 1-64 letters, digits, _ or -");

export const ArrivalSchema = z.discriminatedUnion("process", [
  z.strictObject({ process: z.literal("poisson"), ratePerS: Rate }),
  z
    .strictObject({
      process: z.literal("bursty"),
      /** Mean rate over the whole window, runs/s. */
      ratePerS: Rate,
      /**
       * Rate inside a burst divided by the rate outside it, in [1, 100] (arrivals are drawn by thinning at
       * the peak rate, so the bound also bounds the draws: at most 100 per arrival).
       */
      burstFactor: finite.min(1).max(100),
      burstPeriodS: Seconds,
      burstDurationS: Seconds,
    })
    .refine((a) => a.burstDurationS <= a.burstPeriodS, {
      path: ["burstDurationS"],
      message: "expected burstDurationS <= burstPeriodS",
    }),
  z.strictObject({
    process: z.literal("trace"),
    offsetsS: z.array(finite.nonnegative().max(L.durationS)).min(1).max(L.runs),
  }),
]);

/** JSON schema of a tool's arguments: an object schema, as OpenAI function tools require. */
const ParametersSchema = z.looseObject({ type: z.literal("object") });

export const ToolDefSchema = z.strictObject({
  name: ToolName,
  description: z.string().default(""),
  parameters: ParametersSchema.default({ type: "object", properties: {} }),
  /** Latency of one call of the tool, ms. */
  latencyMs: LatencySchema,
  /** Tokens of the tool's result. @default { dist: "const", value: 20 } */
  resultTokens: TokensSchema.default({ dist: "const", value: 20 }),
});

export const PromptTemplateSchema = z.strictObject({
  /**
   * Text with optional `{n}` (the stated count of the class's `countHint`: a number, sometimes wrong, or a
   * vague word; `{n|a few|some}` names the vague alternatives) and `{items}` placeholders (see hint.ts).
   */
  template: z.string().min(1),
  items: z.array(z.string().min(1)).default([]),
  /**
   * How many items `{items}` lists, drawn independently of the run's length, at most `items.length`.
   * @default uniform from 1 to min(3, items.length)
   */
  itemCount: boundedDistribution(1_000, "items").optional(),
});

export const ClassSchema = z.strictObject({
  name: z.string().min(1),
  weight: finite.positive(),
  /** Names of the tools bound to runs of this class (defined in the file's `tools`). */
  tools: z.array(ToolName),
  systemPrompt: z.string(),
  /** Pads the class's system prompt with neutral filler to this many tokens (shared by every run). */
  systemPromptTokens: TokenCount.optional(),
  prompts: z.array(PromptTemplateSchema).min(1),
  /** What `{n}` states and how reliably (hint.ts). @default { of: "rounds", stated: 0.5, exact: 0.3 } */
  countHint: CountHintSchema.optional(),
  toolRounds: ToolRoundsSchema,
  toolCallsPerRound: CallsPerRoundSchema.default({ dist: "const", value: 1 }),
  /** Target prompt tokens of the first call (system + user + tool schemas); the user prompt is padded. */
  promptTokens: TokensSchema,
  outputTokensPerCall: TokensSchema,
  finalOutputTokens: TokensSchema,
});

export const WorkloadFileSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    seed: z.number().int().default(0),
    /** Arrival window, s (at most one day). */
    durationS: Seconds,
    arrival: ArrivalSchema,
    slo: SloSchema,
    tools: z.array(ToolDefSchema),
    classes: z.array(ClassSchema).min(1),
  })
  .superRefine((file, ctx) => {
    const names = new UniqueKeys(ctx);
    file.tools.forEach((tool, i) => {
      names.add(tool.name, i, ["tools", i, "name"], () => `duplicate tool "${tool.name}"`);
    });
    const classNames = new UniqueKeys(ctx);
    file.classes.forEach((cls, i) => {
      classNames.add(cls.name, i, ["classes", i, "name"], () => `duplicate class "${cls.name}"`);
      cls.tools.forEach((tool, j) => {
        if (!names.has(tool))
          ctx.addIssue({
            code: "custom",
            path: ["classes", i, "tools", j],
            message: `unknown tool "${tool}" (expected one of: ${names.keys().join(", ") || "none defined"})`,
          });
      });
      if (cls.tools.length === 0 && upperBound(cls.toolRounds) > 0)
        ctx.addIssue({
          code: "custom",
          path: ["classes", i, "toolRounds"],
          message: "a class without tools can only draw 0 tool rounds",
        });
      cls.prompts.forEach((p, j) => {
        if (p.template.includes("{items}") && p.items.length === 0)
          ctx.addIssue({
            code: "custom",
            path: ["classes", i, "prompts", j, "items"],
            message: "template uses {items} but no items are given",
          });
        if (p.itemCount !== undefined && upperBound(p.itemCount) > p.items.length)
          ctx.addIssue({
            code: "custom",
            path: ["classes", i, "prompts", j, "itemCount"],
            message: `expected at most ${p.items.length} items (the template's items), got up to ${upperBound(p.itemCount)}`,
          });
      });
      const of = cls.countHint?.of;
      if (of !== undefined && of !== "rounds" && of !== "calls" && !cls.tools.includes(of))
        ctx.addIssue({
          code: "custom",
          path: ["classes", i, "countHint", "of"],
          message: `expected "rounds", "calls" or a tool of the class (${cls.tools.join(", ") || "none"}), got "${of}"`,
        });
    });
    if (file.arrival.process === "trace" && file.arrival.offsetsS.some((t) => t > file.durationS))
      ctx.addIssue({
        code: "custom",
        path: ["arrival", "offsetsS"],
        message: `expected offsets within durationS (${file.durationS})`,
      });
  });

const SegmentSchema = z.strictObject({
  /** Context the segment starts from, tokens. */
  promptTokens: TokenCount,
  /** Tokens generated before the next interception (or the final answer). */
  outputTokens: TokenCount,
  tool: ToolName.optional(),
  toolLatencyMs: finite.nonnegative().max(L.latencyMs).optional(),
  toolResultTokens: TokenCount.optional(),
});

const TraceRunSchema = z.strictObject({
  id: z.union([z.string().min(1), z.number()]).transform(String),
  arrivalS: finite.nonnegative().max(L.durationS).optional(),
  class: z.string().min(1).optional(),
  systemPrompt: z.string().optional(),
  userPrompt: z.string().optional(),
  tools: z.array(ToolName).optional(),
  segments: z
    .array(SegmentSchema)
    .min(1)
    .max(L.toolRounds + 1),
});

/** A trace-level tool definition: like a workload tool, latency optional (the trace carries latencies). */
const TraceToolSchema = ToolDefSchema.extend({ latencyMs: LatencySchema.optional() });

export const TraceFileSchema = z
  .strictObject({
    format: z.literal("augserve-trace/v1"),
    name: z.string().min(1).default("trace"),
    description: z.string().optional(),
    seed: z.number().int().default(0),
    durationS: Seconds.optional(),
    arrival: ArrivalSchema.optional(),
    slo: SloSchema,
    tools: z.array(TraceToolSchema).default([]),
    runs: z.array(TraceRunSchema).min(1).max(L.runs),
  })
  .superRefine((file, ctx) => {
    if (file.arrival !== undefined && file.arrival.process !== "trace" && file.durationS === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["durationS"],
        message: "expected durationS with a poisson or bursty arrival",
      });
    const defined = new Set(file.tools.map((t) => t.name));
    const ids = new UniqueKeys(ctx);
    file.runs.forEach((run, i) => {
      ids.add(run.id, i, ["runs", i, "id"], () => `duplicate run id "${run.id}"`);
      if (file.arrival === undefined && run.arrivalS === undefined)
        ctx.addIssue({
          code: "custom",
          path: ["runs", i, "arrivalS"],
          message: "expected arrivalS (the file has no arrival process)",
        });
      if (defined.size > 0)
        run.tools?.forEach((tool, j) => {
          if (!defined.has(tool))
            ctx.addIssue({
              code: "custom",
              path: ["runs", i, "tools", j],
              message: `unknown tool "${tool}"`,
            });
        });
      run.segments.forEach((seg, j) => {
        const last = j === run.segments.length - 1;
        if (!last && seg.toolLatencyMs === undefined)
          ctx.addIssue({
            code: "custom",
            path: ["runs", i, "segments", j, "toolLatencyMs"],
            message: "expected toolLatencyMs (every segment but the last ends in a tool phase)",
          });
        if (!last && seg.outputTokens < 1)
          ctx.addIssue({
            code: "custom",
            path: ["runs", i, "segments", j, "outputTokens"],
            message: "expected >= 1 output token in a segment that calls a tool",
          });
      });
    });
  });

export type WorkloadFileInput = z.input<typeof WorkloadFileSchema>;
export type WorkloadFile = z.output<typeof WorkloadFileSchema>;
export type TraceFileInput = z.input<typeof TraceFileSchema>;
export type TraceFile = z.output<typeof TraceFileSchema>;
export type Arrival = z.output<typeof ArrivalSchema>;
export type ToolDef = z.output<typeof ToolDefSchema>;
export type WorkloadClass = z.output<typeof ClassSchema>;
