/**
 * Refinements shared by the file schemas of several parts (workload and trace files, bench results). Like
 * validate.ts, a leaf: it imports nothing of the project, so every part, the scheduler included, may import it.
 */
import type { z } from "zod";

/**
 * The keys a `superRefine` has met so far while walking a list, each with the index it was first met at. A key
 * met again becomes a custom issue there and then, so the issues keep the order of the walk whatever else it
 * checks between two items.
 *
 * @example
 * ```ts
 * const ids = new UniqueKeys(ctx);
 * file.runs.forEach((run, i) => {
 *   ids.add(run.id, i, ["runs", i, "id"], () => `duplicate run id "${run.id}"`);
 *   // ... the other checks of run i
 * });
 * ```
 */
export class UniqueKeys {
  readonly #first = new Map<string, number>();
  readonly #ctx: Pick<z.RefinementCtx, "addIssue">;

  constructor(ctx: Pick<z.RefinementCtx, "addIssue">) {
    this.#ctx = ctx;
  }

  /**
   * Notes `key` for the item at `index`. When an earlier item had it, adds a custom issue at `path` whose
   * message is `message(first)`, `first` the index of that earlier item.
   */
  add(key: string, index: number, path: PropertyKey[], message: (first: number) => string): void {
    const first = this.#first.get(key);
    if (first === undefined) this.#first.set(key, index);
    else this.#ctx.addIssue({ code: "custom", path, message: message(first) });
  }

  /** Whether an item had `key`. */
  has(key: string): boolean {
    return this.#first.has(key);
  }

  /** The keys met, in the order they were first met. */
  keys(): string[] {
    return [...this.#first.keys()];
  }
}
