/**
 * Real LangChain tools for a generated run, built from the run's tool schemas. A tool's body waits for the
 * latency the run's hidden script gives that call (divided by the time scale) and returns a result of the
 * scripted size, so that the next prompt grows as in virtual mode. The script is read here only to play the
 * tool's side; the agent, the middleware and the scheduler never see it.
 */
import { type StructuredToolInterface, tool } from "@langchain/core/tools";
import { toolResultText } from "../../workload/prompt.js";
import type { GeneratedRun, ScriptedCall } from "../../workload/types.js";

/** Waits `ms` wall ms; below a millisecond only yields (a timer cannot be shorter than ~1 ms). */
export function sleepWall(ms: number): Promise<void> {
  if (ms < 1) return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The scripted calls of a run, per tool, in script order; a call is taken once. */
export class ScriptedCalls {
  readonly #byTool = new Map<string, ScriptedCall[]>();

  constructor(run: GeneratedRun) {
    for (const round of run.script.rounds)
      for (const call of round.calls) {
        const list = this.#byTool.get(call.tool) ?? [];
        list.push(call);
        this.#byTool.set(call.tool, list);
      }
  }

  /**
   * The scripted call of `tool` with these arguments (the first not yet taken), else the tool's next one.
   * `undefined` when the model asked for a call the script does not have (e.g. a real server's own choice).
   */
  take(tool: string, args: unknown): ScriptedCall | undefined {
    const list = this.#byTool.get(tool);
    if (list === undefined || list.length === 0) return undefined;
    const key = JSON.stringify(args);
    let at = list.findIndex((c) => JSON.stringify(c.arguments) === key);
    if (at < 0) at = 0;
    return list.splice(at, 1)[0];
  }
}

export { toolResultText };

/**
 * The run's tools as LangChain tools. Unscripted calls (a real model choosing differently) take no time and
 * return a short result, so the agent goes on.
 */
export function buildRunTools(run: GeneratedRun, timeScale: number): StructuredToolInterface[] {
  const script = new ScriptedCalls(run);
  return run.tools.map((schema) =>
    tool(
      async (args: unknown) => {
        const call = script.take(schema.name, args);
        await sleepWall((call?.latencyMs ?? 0) / timeScale);
        return toolResultText(call?.resultTokens ?? 8);
      },
      {
        name: schema.name,
        description: schema.description ?? schema.name,
        schema: (schema.parameters ?? { type: "object", properties: {} }) as Record<string, unknown>,
      },
    ),
  );
}
