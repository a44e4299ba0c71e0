/**
 * Named errors of the real engine. Each says what was expected and what came, and carries typed fields.
 */
import type { ZodError } from "zod";
import { AugServeError, type OptionIssue, OptionsError, optionIssueLines } from "../util/index.js";

/** Options of the engine, its server or the model generator failed validation; `cause` is the `ZodError`. */
export class EngineOptionsError extends OptionsError {
  static override readonly code = "ENGINE_OPTIONS";
  override readonly name = "EngineOptionsError";
  /** `issues` as `parseWith` describes them (with "did you mean"); without them, zod's own from `error`. */
  constructor(where: string, error: ZodError, issues?: readonly OptionIssue[]) {
    const lines = optionIssueLines(error, issues, "(root)");
    super(OptionsError.describe(where, lines), lines, { cause: error });
  }
}

/** The optional peer dependency `node-llama-cpp` is not installed (or failed to load). */
export class NodeLlamaCppMissingError extends AugServeError {
  static override readonly code = "ENGINE_NODE_LLAMA_CPP_MISSING";
  override readonly name = "NodeLlamaCppMissingError";
  /** The exact version the engine is built and tested against. */
  readonly requiredVersion = "3.21.1";
  constructor(cause: unknown) {
    super(
      "The real engine needs the optional dependency node-llama-cpp, which is not installed. " +
        "Install it with: npm install node-llama-cpp@3.21.1",
      { cause },
    );
  }
}

/**
 * A request the engine cannot take (its prompt does not fit a sequence's context). When `promptBytes` is
 * set, the prompt was refused before tokenizing: `promptTokens` is then the least number of tokens its bytes
 * can make (see `PromptTokenizer`).
 */
export class EngineRequestError extends AugServeError {
  static override readonly code = "ENGINE_REQUEST";
  override readonly name = "EngineRequestError";
  constructor(
    readonly promptTokens: number,
    readonly contextSize: number,
    readonly promptBytes?: number,
  ) {
    super(
      `Expected a prompt of at most ${contextSize - 1} tokens (the context of one sequence), got ` +
        (promptBytes === undefined
          ? `${promptTokens}`
          : `at least ${promptTokens} (a prompt of ${promptBytes} bytes, refused before tokenizing)`),
    );
  }
}
