/** Named errors of Stage I prediction, exported for `instanceof`. */
import type { ZodError } from "zod";
import { AugServeError, OptionsError } from "../util/index.js";

/** `createPredictor()` was given options that do not validate. */
export class PredictorOptionsError extends OptionsError {
  static override readonly code = "PREDICT_OPTIONS";
  override readonly name = "PredictorOptionsError";

  /** @param issues one line per problem: `path: message`. */
  constructor(issues: readonly string[], cause: ZodError) {
    super(`Invalid predictor options: expected valid options, got ${issues.join("; ")}`, issues, { cause });
  }
}

/** Why a saved predictor state could not be used. */
export type PredictorStateProblem =
  /** No file at the path. */
  | "missing"
  /** The file could not be read or is not JSON. */
  | "corrupt"
  /** JSON, but not a predictor state of a version this code reads. */
  | "incompatible"
  /** A predictor state of the right version whose content does not validate. */
  | "invalid";

/** A saved predictor state is missing, corrupt, of another version, or invalid. */
export class PredictorStateError extends AugServeError {
  static override readonly code = "PREDICT_STATE";
  override readonly name = "PredictorStateError";
  readonly problem: PredictorStateProblem;
  /** The file, when the state came from one. */
  readonly path: string | undefined;
  /** One line per validation problem (empty for unreadable files). */
  readonly issues: string[];

  constructor(
    problem: PredictorStateProblem,
    detail: string,
    options: { path?: string; issues?: string[]; cause?: unknown } = {},
  ) {
    const where = options.path === undefined ? "predictor state" : `predictor state ${options.path}`;
    super(`Cannot use ${where} (${problem}): ${detail}`, { cause: options.cause });
    this.problem = problem;
    this.path = options.path;
    this.issues = options.issues ?? [];
  }
}
