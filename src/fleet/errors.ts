/** Errors of the fleet (a budget shared through Redis): named classes with typed fields, for `instanceof`. */
import { AugServeError, OptionsError } from "../util/index.js";

/** The `shared` options failed validation. */
export class FleetOptionsError extends OptionsError {
  static override readonly code = "FLEET_OPTIONS";
  override readonly name = "FleetOptionsError";
  /** Dotted path of the first bad field (e.g. `shared.leaseTtlMs`). */
  readonly field: string;

  /** @param issues each problem as `path: message`. */
  constructor(field: string, issues: readonly string[], cause: unknown) {
    super(OptionsError.describe("shared (fleet)", issues), issues, { cause });
    this.field = field;
  }
}

/**
 * A Redis key of the fleet holds something that is not the fleet's: another program's value under the same
 * name (`foreign`), or a fleet value that does not parse (`malformed`). Never a crash: the process keeps
 * scheduling on its local fallback share and reports this error (`fleet.lastError`, `fleet.ready()`, the log).
 */
export class FleetKeyError extends AugServeError {
  static override readonly code = "FLEET_KEY";
  override readonly name = "FleetKeyError";
  /** The Redis key (with the field, when the problem is one field of a hash). */
  readonly key: string;
  readonly kind: "foreign" | "malformed";
  /** What was found, in words. */
  readonly found: string;

  constructor(key: string, kind: "foreign" | "malformed", found: string) {
    super(
      `Redis key ${key} ${kind === "foreign" ? "holds a value that is not AugServe's fleet state" : "holds a malformed fleet value"}: ${found}. ` +
        "Use another `shared.key`, or delete the key if nothing else owns it.",
    );
    this.key = key;
    this.kind = kind;
    this.found = found;
  }
}

/** Parses a script's error reply `AUGSERVE_KEY <foreign|malformed> <key> <found...>` into a {@link FleetKeyError}. */
export function keyErrorFromReply(error: unknown): FleetKeyError | null {
  const message = error instanceof Error ? error.message : String(error);
  const match = /AUGSERVE_KEY (foreign|malformed) (\S+) (.*)$/s.exec(message);
  if (!match) return null;
  return new FleetKeyError(
    match[2] as string,
    match[1] as "foreign" | "malformed",
    (match[3] as string).trim(),
  );
}
