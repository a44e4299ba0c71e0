/**
 * Saving and loading a predictor's state, so that a restarted application keeps what it learned.
 * Writes are atomic (temporary file + rename): a crash mid-save leaves the previous file intact.
 */
import { randomUUID } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { PredictorStateError } from "./errors.js";
import type { PredictorOptions } from "./options.js";
import { createPredictor, OnlinePredictor } from "./predictor.js";
import { parseState } from "./state.js";

/**
 * Writes the predictor's state to `path` as JSON, atomically: the state goes to a temporary file of its own
 * (a random name, so that concurrent savers, in this process or others, never share one) and is renamed over
 * `path`. Readers see one complete state, the previous or the new; with N concurrent savers every save
 * succeeds and the last rename wins. A failed save removes its temporary file.
 */
export async function savePredictor(predictor: OnlinePredictor, path: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await writeFile(temporary, JSON.stringify(predictor.toJSON()), { encoding: "utf8", flag: "wx" });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => {});
    throw error;
  }
}

/**
 * Reads a predictor saved by {@link savePredictor}.
 * @throws PredictorStateError `missing`, `corrupt` (unreadable or not JSON), `incompatible` or `invalid`.
 */
export async function loadPredictor(path: string): Promise<OnlinePredictor> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException)?.code === "ENOENT";
    throw new PredictorStateError(missing ? "missing" : "corrupt", missing ? "no such file" : String(error), {
      path,
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PredictorStateError(
      "corrupt",
      `expected JSON, got a parse error: ${(error as Error).message}`,
      {
        path,
        cause: error,
      },
    );
  }
  return new OnlinePredictor(undefined, parseState(json, path));
}

export interface LoadOrColdOptions {
  /** Options of the cold predictor made when the file cannot be used (a loaded file keeps its own options). */
  options?: PredictorOptions;
  /**
   * Called with the reason when an existing file cannot be used and the predictor starts cold.
   * A missing file is the normal first start and is not reported.
   */
  onWarning?: (error: PredictorStateError) => void;
}

/**
 * Loads the predictor at `path`, or starts a cold one (never throws for a bad file: a predictor that
 * forgot is better than an application that does not start).
 * @example
 * const predictor = await loadOrCold("predictor.json", { onWarning: (e) => console.warn(e.message) });
 */
export async function loadOrCold(path: string, options: LoadOrColdOptions = {}): Promise<OnlinePredictor> {
  try {
    return await loadPredictor(path);
  } catch (error) {
    if (!(error instanceof PredictorStateError)) throw error;
    if (error.problem !== "missing") options.onWarning?.(error);
    return createPredictor(options.options);
  }
}
