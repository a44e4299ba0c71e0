/**
 * Concrete runs generated from a workload file (DESIGN.md section 6). Every policy sees the identical runs.
 * The `script` is hidden: only the simulator and the `augserve-oracle` policy may read it.
 */
import type { ToolSchema } from "../predict/types.js";
import type { Slo } from "../scheduler/types.js";

/** One tool call of a run's hidden script. */
export interface ScriptedCall {
  tool: string;
  /** Arguments valid against the tool's JSON schema. */
  arguments: Record<string, unknown>;
  /** How long the tool takes, ms. */
  latencyMs: number;
  /** Tokens of the tool's result (appended to the context). */
  resultTokens: number;
}

export interface ScriptRound {
  /** Tokens the model emits in the call that ends with this round's tool calls. */
  outputTokens: number;
  calls: ScriptedCall[];
}

export interface RunScript {
  rounds: ScriptRound[];
  finalOutputTokens: number;
}

export interface GeneratedRun {
  /** Unique within the workload, e.g. `r00042`. */
  id: string;
  /** Arrival offset from the start of the window, ms. */
  arrivalMs: number;
  className: string;
  systemPrompt: string;
  /** Unique per run (the simulator finds the run's script by it). */
  userPrompt: string;
  tools: ToolSchema[];
  /** Prompt tokens of the first call (system + user + tool schemas), as the simulator counts them. */
  promptTokens: number;
  script: RunScript;
}

export interface GeneratedWorkload {
  name: string;
  seed: number;
  /** Arrival window, ms. */
  durationMs: number;
  slo: Slo;
  runs: GeneratedRun[];
}
