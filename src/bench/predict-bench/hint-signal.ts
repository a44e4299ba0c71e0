/**
 * How much of the answer a workload's prompts give away (issue 11, item 1): the share of runs whose exact
 * tool-round count is recovered from the user prompt by simple readers of it, per class.
 *
 * Readers (each sees only the user prompt, as a predictor does):
 * - `stated`: the first number in the prompt, a numeral of 1-2 digits or a number word up to "twenty";
 * - `listed`: the number of items of the prompt's longest list: in one sentence, `;`-separated parts or
 *   `,`-separated parts plus a trailing "and" item (two commas, or one and an "and"); or bulleted lines
 *   (nothing without a list of two or more);
 * - `threeLine`: `stated`, else `listed` (the "three-line regex" of issue 11);
 * - `coldStart`: the predictor's own rule-based cold-start estimate (src/predict/cold-start.ts), the
 *   strongest reader of this kind in the project, when the prompt gives it evidence (a count, a list or
 *   steps; its default for a prompt that says nothing is not read from the prompt).
 * Chance agreement counts (a sentence with "a, b and c" read as 3 when the run happens to take 3 rounds),
 * so the figures bound leakage from above. `modeShare`, the share of the class's most common round count,
 * is what a constant guess gets without reading anything: the chance level to compare with.
 */
import { evidenceKind } from "../../predict/analysis.js";
import { coldStartRounds, MAX_COLD_ROUNDS } from "../../predict/cold-start.js";
import { extractFeatures, type PromptFeatures, ToolSetCache } from "../../predict/features/index.js";
import { NUMBER_WORDS } from "../../workload/hint.js";
import type { GeneratedRun } from "../../workload/types.js";

/** Share of runs (0..1) whose exact tool-round count each reader recovers. */
export interface HintSignal {
  className: string;
  runs: number;
  stated: number;
  listed: number;
  threeLine: number;
  coldStart: number;
  /** The largest of the four: the class's leakage figure (target < 0.2). */
  max: number;
  /** Share of the class's most common round count (a constant guess; not a reader of the prompt). */
  modeShare: number;
}

const NUMBER = new RegExp(`\\b(\\d{1,2}|${NUMBER_WORDS.join("|")})\\b`, "i");

/** The first number the prompt writes, or `undefined`. */
export function statedReader(prompt: string): number | undefined {
  const match = NUMBER.exec(prompt);
  if (match === null) return undefined;
  const word = NUMBER_WORDS.indexOf(match[1]!.toLowerCase());
  return word >= 0 ? word : Number(match[1]);
}

/**
 * Items of one sentence's list, 1 if it has none: `;`-separated parts, or `,`-separated parts plus one for
 * a trailing "and" item ("a, b and c"). One comma without a trailing "and" is a clause, not a list.
 */
function sentenceItems(sentence: string): number {
  const semicolons = sentence.split(";").length;
  const parts = sentence.split(",");
  const and = /\band\b/.test(parts[parts.length - 1]!);
  const commas = parts.length >= 3 || (parts.length === 2 && and) ? parts.length + (and ? 1 : 0) : 1;
  return Math.max(semicolons, commas);
}

/**
 * The number of items of the prompt's longest list (read per sentence, or as bulleted lines), or
 * `undefined` when it has no list of two or more.
 */
export function listedReader(prompt: string): number | undefined {
  let items = prompt.split("\n").filter((line) => /^\s*(?:[-*•]|\d{1,2}[.)])\s+\S/.test(line)).length;
  for (const sentence of prompt.split(/(?<=[.?!])\s+/)) items = Math.max(items, sentenceItems(sentence));
  return items >= 2 ? items : undefined;
}

interface Tally {
  runs: number;
  stated: number;
  listed: number;
  threeLine: number;
  coldStart: number;
  rounds: Map<number, number>;
}

const tally = (): Tally => ({ runs: 0, stated: 0, listed: 0, threeLine: 0, coldStart: 0, rounds: new Map() });

function toSignal(className: string, t: Tally): HintSignal {
  const share = (x: number) => (t.runs === 0 ? 0 : x / t.runs);
  const mode = Math.max(0, ...t.rounds.values());
  const signal = {
    className,
    runs: t.runs,
    stated: share(t.stated),
    listed: share(t.listed),
    threeLine: share(t.threeLine),
    coldStart: share(t.coldStart),
  };
  return {
    ...signal,
    max: Math.max(signal.stated, signal.listed, signal.threeLine, signal.coldStart),
    modeShare: share(mode),
  };
}

/**
 * The prompt rules as a reader of rounds, fixed here as issue 11 defined them (the predictor's own cold start
 * has since changed: a comma list is parallel calls, and the prior scales by P(tool)): a count near a tool
 * word, a bulleted list, any count, a comma list, else steps. A workload's hint signal must not move when
 * the predictor does.
 */
function rulesReader(f: PromptFeatures): number {
  if (f.toolCount === 0) return 0;
  if (f.countNearTool === 0 && f.bulletLines < 2 && f.firstCount === 0 && f.separatedItems >= 2)
    return Math.min(MAX_COLD_ROUNDS, f.separatedItems);
  return coldStartRounds(f);
}

/** The readers' recovery shares per class (sorted by name) and over all runs. */
export function measureHintSignal(runs: readonly GeneratedRun[]): { classes: HintSignal[]; all: HintSignal } {
  const tools = new ToolSetCache();
  const tallies = new Map<string, Tally>();
  const all = tally();
  for (const run of runs) {
    const truth = run.script.rounds.length;
    const stated = statedReader(run.userPrompt);
    const listed = listedReader(run.userPrompt);
    const { features } = extractFeatures(
      { systemPrompt: run.systemPrompt, userPrompt: run.userPrompt, tools: run.tools, toolRoundsDone: 0 },
      tools.get(run.tools),
      true, // issue 11's reader: every small number is a count (quantities included)
    );
    const cold = evidenceKind(features) === "none" ? undefined : rulesReader(features);
    let own = tallies.get(run.className);
    if (own === undefined) {
      own = tally();
      tallies.set(run.className, own);
    }
    // `all` pools classes, so its mode share is not a meaningful chance level; it is reported anyway.
    for (const t of [own, all]) {
      t.runs++;
      t.rounds.set(truth, (t.rounds.get(truth) ?? 0) + 1);
      if (stated === truth) t.stated++;
      if (listed === truth) t.listed++;
      if ((stated ?? listed) === truth) t.threeLine++;
      if (cold === truth) t.coldStart++;
    }
  }
  const classes = [...tallies].sort(([a], [b]) => a.localeCompare(b)).map(([name, t]) => toSignal(name, t));
  return { classes, all: toSignal("all", all) };
}
