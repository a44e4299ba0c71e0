/**
 * Named errors of the simulator. Each says what was expected and what came, and carries typed fields.
 */
import type { ZodError } from "zod";
import { AugServeError, type OptionIssue, OptionsError, optionIssueLines } from "../util/index.js";

/** Options of the engine or the server failed validation; `cause` is the `ZodError`. */
export class SimOptionsError extends OptionsError {
  static override readonly code = "SIM_OPTIONS";
  override readonly name = "SimOptionsError";
  /** `issues` as `parseWith` describes them (with "did you mean"); without them, zod's own from `error`. */
  constructor(where: string, error: ZodError, issues?: readonly OptionIssue[]) {
    const lines = optionIssueLines(error, issues, "(root)");
    super(OptionsError.describe(where, lines), lines, { cause: error });
  }
}

/** A scheduling policy name that the engine does not know. */
export class UnknownSchedulingPolicyError extends AugServeError {
  static override readonly code = "SIM_UNKNOWN_SCHEDULING_POLICY";
  override readonly name = "UnknownSchedulingPolicyError";
  constructor(readonly policy: string) {
    super(`Expected a scheduling policy "fcfs" or "priority", got \`${policy}\``);
  }
}

/** A profile name that is not in `SIM_PROFILES`. */
export class UnknownProfileError extends AugServeError {
  static override readonly code = "SIM_UNKNOWN_PROFILE";
  override readonly name = "UnknownProfileError";
  constructor(
    readonly profile: string,
    readonly known: readonly string[],
  ) {
    super(`Expected a simulator profile among ${known.join(", ")}, got \`${profile}\``);
  }
}

/** A request the engine cannot take (duplicate id, or one that can never fit the model length / KV cache). */
export class SimRequestError extends AugServeError {
  static override readonly code = "SIM_REQUEST";
  override readonly name = "SimRequestError";
  constructor(
    readonly requestId: string,
    message: string,
  ) {
    super(message);
  }
}

/** An engine invariant broke: a bug in the simulator, never the caller's fault. */
export class SimInvariantError extends AugServeError {
  static override readonly code = "SIM_INVARIANT";
  override readonly name = "SimInvariantError";
}
