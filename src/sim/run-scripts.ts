/**
 * Converts generated workload runs (DESIGN.md section 6, `GeneratedRun` of src/workload/types.ts) into
 * the scripts the simulated model follows. Structural types only: `sim/` does not import `bench/`.
 */
import type { ConversationScript } from "./types.js";

/** The part of a generated run the simulator reads: its first user message and its hidden script. */
export interface RunLike {
  userPrompt: string;
  script: {
    rounds: readonly {
      outputTokens: number;
      calls: readonly { tool: string; arguments: Record<string, unknown> }[];
    }[];
    finalOutputTokens: number;
  };
}

export function scriptsFromRuns(runs: Iterable<RunLike>): ConversationScript[] {
  const scripts: ConversationScript[] = [];
  for (const run of runs) {
    scripts.push({
      firstUserMessage: run.userPrompt,
      rounds: run.script.rounds.map((round) => ({
        outputTokens: round.outputTokens,
        toolCalls: round.calls.map((call) => ({ name: call.tool, arguments: call.arguments })),
      })),
      finalOutputTokens: run.script.finalOutputTokens,
    });
  }
  return scripts;
}
