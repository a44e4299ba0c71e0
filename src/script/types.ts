/**
 * What a scripted model follows for one conversation (a run of a workload): shared by the simulator and the
 * llama.cpp engine, which both answer from it.
 */

/** What the simulated model follows for one conversation (a run of a workload). */
export interface ScriptedToolCall {
  name: string;
  /** Arguments valid against the tool's JSON schema. */
  arguments: Record<string, unknown>;
}

export interface ScriptedRound {
  /** Tokens the model emits in the call that ends with these tool calls, their arguments included (the text gets what the arguments leave). */
  outputTokens: number;
  toolCalls: ScriptedToolCall[];
}

export interface ConversationScript {
  /** The conversation's first user message: how the simulator recognises the run. */
  firstUserMessage: string;
  /** Rounds that end in tool calls, in order. */
  rounds: ScriptedRound[];
  /** Tokens of the final answer. */
  finalOutputTokens: number;
}
