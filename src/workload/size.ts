/**
 * The total-size bounds of a generated workload (bounds.ts): checked on expected values before anything is
 * generated (so a file that asks for twenty million runs fails in microseconds, naming the fields), and on
 * drawn values while generating (so an unlucky tail cannot pass them either).
 */
import { approximateMean, WORKLOAD_LIMITS } from "./bounds.js";
import { WorkloadTooLargeError } from "./errors.js";
import type { Arrival, WorkloadFile } from "./schema.js";
import type { GeneratedRun } from "./types.js";

const L = WORKLOAD_LIMITS;

/** Expected number of arrivals of a process over a window. */
export function expectedArrivals(arrival: Arrival, durationS: number): number {
  return arrival.process === "trace"
    ? arrival.offsetsS.filter((t) => t < durationS).length
    : arrival.ratePerS * durationS;
}

/** Throws when the expected number of arrivals is above the bound. */
export function checkExpectedRuns(source: string, arrival: Arrival, durationS: number): void {
  const runs = expectedArrivals(arrival, durationS);
  if (runs > L.runs)
    throw new WorkloadTooLargeError(
      source,
      "runs",
      runs,
      L.runs,
      arrival.process === "trace" ? ["$.arrival.offsetsS"] : ["$.arrival.ratePerS", "$.durationS"],
      "lower the rate or the window",
    );
}

/**
 * Throws when the expected size of a synthetic workload is above a bound: runs, a class's expected run
 * context, the workload's tokens or tool calls. Expected values only: nothing is drawn.
 */
export function checkExpectedSize(
  source: string,
  file: WorkloadFile,
  arrival: Arrival,
  durationS: number,
): void {
  checkExpectedRuns(source, arrival, durationS);
  const runs = expectedArrivals(arrival, durationS);
  const tools = new Map(file.tools.map((t) => [t.name, t]));
  const totalWeight = file.classes.reduce((sum, c) => sum + c.weight, 0);
  let tokens = 0;
  let calls = 0;
  file.classes.forEach((cls, i) => {
    const rounds = approximateMean(cls.toolRounds);
    const perRound = Math.max(1, approximateMean(cls.toolCallsPerRound));
    const results = cls.tools.map((name) => approximateMean(tools.get(name)!.resultTokens));
    const result = results.length === 0 ? 0 : results.reduce((a, b) => a + b, 0) / results.length;
    const context =
      approximateMean(cls.promptTokens) +
      rounds * (approximateMean(cls.outputTokensPerCall) + perRound * result) +
      approximateMean(cls.finalOutputTokens);
    const at = `$.classes[${i}]`;
    if (context > L.tokens)
      throw new WorkloadTooLargeError(
        source,
        "run context tokens (expected per run)",
        context,
        L.tokens,
        [`${at}.promptTokens`, `${at}.toolRounds`, `${at}.outputTokensPerCall`, `${at}.finalOutputTokens`],
        "a run's whole context must fit in one model context window",
      );
    const share = (runs * cls.weight) / totalWeight;
    tokens += share * context;
    calls += share * rounds * perRound;
  });
  if (tokens > L.workloadTokens)
    throw new WorkloadTooLargeError(
      source,
      "workload tokens (expected)",
      tokens,
      L.workloadTokens,
      ["$.arrival.ratePerS", "$.durationS", "$.classes[*] token counts"],
      "lower the rate, the window or the token counts",
    );
  if (calls > L.workloadToolCalls)
    throw new WorkloadTooLargeError(
      source,
      "workload tool calls (expected)",
      calls,
      L.workloadToolCalls,
      ["$.arrival.ratePerS", "$.durationS", "$.classes[*].toolRounds", "$.classes[*].toolCallsPerRound"],
      "lower the rate, the window or the rounds",
    );
}

/** Tokens of a run's whole context: first prompt, every output, every tool result. */
export function runContextTokens(run: GeneratedRun): number {
  let tokens = run.promptTokens + run.script.finalOutputTokens;
  for (const round of run.script.rounds) {
    tokens += round.outputTokens;
    for (const call of round.calls) tokens += call.resultTokens;
  }
  return tokens;
}

/** Counts what has been generated and throws as soon as a bound is passed. */
export class SizeMeter {
  readonly #source: string;
  #runs = 0;
  #tokens = 0;
  #calls = 0;

  constructor(source: string) {
    this.#source = source;
  }

  /** Adds a generated run (`paths`: the JSON paths of the fields that drew its size, for the message). */
  add(run: GeneratedRun, paths: string[]): void {
    const context = runContextTokens(run);
    if (context > L.tokens)
      throw new WorkloadTooLargeError(
        this.#source,
        `context tokens in run ${run.id}`,
        context,
        L.tokens,
        paths,
        "a run's whole context must fit in one model context window",
      );
    this.#runs += 1;
    this.#tokens += context;
    for (const round of run.script.rounds) this.#calls += round.calls.length;
    if (this.#runs > L.runs)
      throw new WorkloadTooLargeError(this.#source, "runs", this.#runs, L.runs, ["$.arrival"]);
    if (this.#tokens > L.workloadTokens)
      throw new WorkloadTooLargeError(this.#source, "workload tokens", this.#tokens, L.workloadTokens, [
        "$.arrival",
        "$.durationS",
        "$.classes",
      ]);
    if (this.#calls > L.workloadToolCalls)
      throw new WorkloadTooLargeError(this.#source, "workload tool calls", this.#calls, L.workloadToolCalls, [
        "$.arrival",
        "$.durationS",
        "$.classes",
      ]);
  }
}
