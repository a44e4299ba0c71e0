/**
 * Extractors for how a prompt sequences work. Step conjunctions ("then", "after that", "first ... next",
 * "finally") mark a multi-step plan, one tool round per step; questions are each something to look up;
 * imperative verbs that match what a bound tool does ("search", "compute", "draw") are direct requests
 * for a tool call.
 */
import type { ScannedText } from "./text.js";
import type { ToolSetInfo } from "./tool-set.js";

const STEP_WORDS = new Set(["then", "next", "finally", "afterwards", "afterward", "subsequently", "lastly"]);
/** Two-word connectives, by first word (no string is built per token while scanning). */
const STEP_PAIRS = new Map<string, ReadonlySet<string>>([
  ["after", new Set(["that", "which"])],
  ["followed", new Set(["by"])],
  ["once", new Set(["done"])],
  ["before", new Set(["that"])],
]);

/** Imperative verbs of tool use; those also found in a tool's name or description count as tied to tools. */
export const IMPERATIVE_VERBS = new Set(
  (
    "add calculate compute convert count evaluate solve sum multiply divide subtract " +
    "search find look lookup fetch get retrieve query check browse read open list " +
    "go take put move pick place clean heat cool use examine walk navigate " +
    "generate create draw paint render make design illustrate " +
    "say speak read narrate convert synthesize record " +
    "send write translate summarize book schedule call run execute"
  ).split(" "),
);

/** Step conjunctions: single step words plus two-word connectives. */
export function stepConjunctions(text: ScannedText): number {
  let steps = 0;
  const tokens = text.tokens;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (STEP_WORDS.has(token)) steps++;
    else if (i + 1 < tokens.length && STEP_PAIRS.get(token)?.has(tokens[i + 1]!)) steps++;
  }
  return steps;
}

/** Question marks: each question is something the agent may need to look up. */
export function questionCount(text: ScannedText): number {
  return text.questionMarks;
}

export interface VerbCounts {
  /** Imperative verbs anywhere in the prompt. */
  imperatives: number;
  /** Imperative verbs that occur in the bound tools' names or descriptions. */
  toolVerbs: number;
}

/** Imperative verbs, and those tied to the bound tools. */
export function imperativeVerbs(text: ScannedText, tools: ToolSetInfo): VerbCounts {
  let imperatives = 0;
  let toolVerbs = 0;
  for (const token of text.tokens) {
    if (!IMPERATIVE_VERBS.has(token)) continue;
    imperatives++;
    if (tools.nameWords.has(token) || tools.descriptionWords.has(token)) toolVerbs++;
  }
  return { imperatives, toolVerbs };
}

export interface ToolMentions {
  /** Prompt words equal to a word of a tool name. */
  nameMentions: number;
  /** Prompt words equal to a content word of a tool description. */
  descriptionMentions: number;
  /** Index of the tokens that are tool-related (for "count near a tool word"). */
  positions: number[];
}

/** "expressions" -> "expression": enough stemming to match a plural prompt to a singular description. */
function singular(word: string): string {
  return word.endsWith("s") ? word.slice(0, -1) : word;
}

/** Tool names and description keywords found in the prompt: the prompt is asking for that tool. */
export function toolMentions(text: ScannedText, tools: ToolSetInfo): ToolMentions {
  const out: ToolMentions = { nameMentions: 0, descriptionMentions: 0, positions: [] };
  if (tools.count === 0) return out;
  const tokens = text.tokens;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (tools.nameWords.has(token) || tools.nameWords.has(singular(token))) {
      out.nameMentions++;
      out.positions.push(i);
    } else if (
      token.length >= 4 &&
      (tools.descriptionWords.has(token) || tools.descriptionWords.has(singular(token)))
    ) {
      out.descriptionMentions++;
      out.positions.push(i);
    }
  }
  return out;
}
