/**
 * What the tool schemas mean for a prompt: how well the prompt's words match each bound tool's name,
 * description and parameters, and what the best-matching tool's parameters look like.
 *
 * Signal: a prompt that names what a tool does ("the area of a triangle" with `calculate_triangle_area`)
 * needs that tool; a prompt that matches none of the bound tools needs none (a chatbot turn, or a tool set
 * that does not fit); a prompt that matches several tools calls several. These cues depend on the schemas
 * the agent binds, not on any benchmark's wording, which is what lets a trained prior carry over.
 *
 * Cost: the schemas are indexed once per tool set (word stem -> tools), so matching a prompt is one map
 * probe per distinct prompt word, whatever the number of tools.
 */
import { identifierWords, stem } from "./text.js";

/** Words so common in tool schemas that matching them says nothing about which tool fits. */
const GENERIC = new Set(
  (
    "get find calculat comput retriev fetch search check look show give tell return provid use make " +
    "information info data detail given specific value number list type name result the and for with " +
    "from this that your into about which what when where will would should could have has been are was " +
    "function tool paramet default option optional requir string integer float boolean object array " +
    "user input output request respons query format unit each other more most such than very also only " +
    "can may please need want like know help some any all one two new"
  ).split(" "),
);

/** Names of free-text parameters that make a tool open to any request (see {@link SchemaIndex.openTools}). */
const FREE_TEXT = new Set(
  "query q input text prompt expression code command question search term terms keywords keyword url message content task instruction instructions request".split(
    " ",
  ),
);

function isOpen(schema: Record<string, unknown>): boolean {
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const keys = Object.keys(properties);
  if (keys.length === 0) return true;
  const required = Array.isArray(schema.required) ? schema.required : keys.slice(0, 1);
  if (required.length !== 1) return false;
  const key = required[0];
  const property = typeof key === "string" ? properties[key] : undefined;
  return (
    typeof key === "string" &&
    FREE_TEXT.has(key.toLowerCase()) &&
    isRecord(property) &&
    (property.type === undefined || property.type === "string")
  );
}

/** Schemas are walked to this many properties in all (defends against huge or self-similar schemas). */
const MAX_PROPERTIES = 256;
/** ... and to this depth of nested objects. */
const MAX_DEPTH = 4;

/** Shape of one tool's parameters, walked through nested objects and array items. */
export interface ParameterShape {
  parameters: number;
  required: number;
  enums: number;
  arrays: number;
  /** Properties below the top level (objects inside objects or arrays). */
  nested: number;
}

/** Schema-match index of one tool set (built once, shared, never mutated). */
export interface SchemaIndex {
  /** Distinct non-generic name stems per tool. */
  readonly nameSizes: Int32Array;
  /** Required parameters per tool. */
  readonly requiredSizes: Int32Array;
  /** Stem -> tools whose name has it. */
  readonly byName: ReadonlyMap<string, readonly number[]>;
  /** Stem -> tools whose name, description, parameter names, parameter descriptions or enum values have it. */
  readonly byVocabulary: ReadonlyMap<string, readonly number[]>;
  /** Stem -> (tool, required parameter) pairs whose parameter name has it, as `tool * 1024 + parameter`. */
  readonly byRequired: ReadonlyMap<string, readonly number[]>;
  readonly shapes: readonly ParameterShape[];
  /**
   * Tools open to any request: no parameters, or whose required parameters are all one free-text field
   * (`query`, `text`, `prompt`, `expression`, `code`, ...): a web search or a calculator serves requests
   * whose words its schema cannot match, so a mismatch is no evidence that it is not needed.
   */
  readonly openTools: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function contentStems(text: string, into: Set<string>): void {
  for (const word of identifierWords(text.slice(0, 2000))) {
    if (word.length < 3 || /^\d+$/.test(word)) continue;
    const s = stem(word);
    if (!GENERIC.has(s) && !GENERIC.has(word)) into.add(s);
  }
}

interface Walk {
  shape: ParameterShape;
  vocabulary: Set<string>;
  seen: number;
}

function walkProperties(schema: Record<string, unknown>, depth: number, walk: Walk): void {
  const properties = schema.properties;
  if (!isRecord(properties)) return;
  for (const key in properties) {
    if (++walk.seen > MAX_PROPERTIES) return;
    walk.shape.parameters++;
    if (depth > 0) walk.shape.nested++;
    contentStems(key, walk.vocabulary);
    const property = properties[key];
    if (!isRecord(property)) continue;
    if (typeof property.description === "string") contentStems(property.description, walk.vocabulary);
    if (Array.isArray(property.enum)) {
      walk.shape.enums++;
      for (const v of property.enum.slice(0, 32)) if (typeof v === "string") contentStems(v, walk.vocabulary);
    }
    if (property.type === "array") {
      walk.shape.arrays++;
      if (isRecord(property.items) && depth < MAX_DEPTH) walkProperties(property.items, depth + 1, walk);
    } else if (depth < MAX_DEPTH) walkProperties(property, depth + 1, walk);
  }
}

function add(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else if (list[list.length - 1] !== value) list.push(value);
}

/** Indexes a tool set's schemas (names, descriptions, parameters). Total: malformed schemas read as empty. */
export function indexSchemas(
  tools: readonly { name: string; description?: string | undefined; parameters?: unknown }[],
): SchemaIndex {
  const n = tools.length;
  const nameSizes = new Int32Array(n);
  const requiredSizes = new Int32Array(n);
  const byName = new Map<string, number[]>();
  const byVocabulary = new Map<string, number[]>();
  const byRequired = new Map<string, number[]>();
  const shapes: ParameterShape[] = [];
  let openTools = 0;
  for (let t = 0; t < n; t++) {
    const tool = tools[t]!;
    const names = new Set<string>();
    contentStems(typeof tool.name === "string" ? tool.name : "", names);
    nameSizes[t] = names.size;
    const walk: Walk = {
      shape: { parameters: 0, required: 0, enums: 0, arrays: 0, nested: 0 },
      vocabulary: new Set(names),
      seen: 0,
    };
    if (typeof tool.description === "string") contentStems(tool.description, walk.vocabulary);
    const schema = isRecord(tool.parameters) ? tool.parameters : {};
    if (isOpen(schema)) openTools++;
    walkProperties(schema, 0, walk);
    const required = Array.isArray(schema.required) ? schema.required.slice(0, 1023) : [];
    required.forEach((key, p) => {
      if (typeof key !== "string") return;
      walk.shape.required++;
      const words = new Set<string>();
      contentStems(key, words);
      for (const w of words) add(byRequired, w, t * 1024 + p);
    });
    requiredSizes[t] = walk.shape.required;
    for (const w of names) add(byName, w, t);
    for (const w of walk.vocabulary) add(byVocabulary, w, t);
    shapes.push(walk.shape);
  }
  return { nameSizes, requiredSizes, byName, byVocabulary, byRequired, shapes, openTools };
}

/** How a prompt matches a tool set. All finite, in [0, 1] unless said otherwise. */
export interface SchemaMatch {
  /** Largest share of a tool's name stems found in the prompt. */
  nameCover: number;
  /** Largest share of the prompt's content stems found in one tool's vocabulary. */
  promptCover: number;
  /** Largest share of a tool's required parameters whose name the prompt mentions. */
  requiredCover: number;
  /** Best tool's score (nameCover + promptCover of that tool), in [0, 2]. */
  best: number;
  /** Second best tool's score, in [0, 2] (several tools matched: several calls). */
  second: number;
  /** Tools whose score reaches 0.5 (count). */
  matched: number;
  /** Index of the best tool, -1 when none matches at all. */
  bestTool: number;
  /** Distinct content stems of the prompt (count). */
  promptStems: number;
}

const NO_MATCH: SchemaMatch = {
  nameCover: 0,
  promptCover: 0,
  requiredCover: 0,
  best: 0,
  second: 0,
  matched: 0,
  bestTool: -1,
  promptStems: 0,
};

interface Scratch {
  nameHits: Float64Array;
  vocabularyHits: Float64Array;
  requiredHits: Float64Array;
}
const scratches = new WeakMap<SchemaIndex, Scratch>();

function scratchOf(index: SchemaIndex, n: number): Scratch {
  let scratch = scratches.get(index);
  if (scratch === undefined) {
    scratch = {
      nameHits: new Float64Array(n),
      vocabularyHits: new Float64Array(n),
      requiredHits: new Float64Array(n),
    };
    scratches.set(index, scratch);
  }
  return scratch;
}

/** Tokens of a prompt's head, and as many of its tail, that are matched against the schemas. */
export const MATCHED_TOKENS = 64;

/** Matches prompt tokens against an indexed tool set. */
export function matchSchemas(tokens: readonly string[], index: SchemaIndex): SchemaMatch {
  const n = index.nameSizes.length;
  const stems = new Set<string>();
  // The request's words: the head and the tail of the scanned tokens (the middle of a long prompt is
  // history or pasted material; stemming every word of it would cost more than the rest of a prediction).
  const head = Math.min(tokens.length, MATCHED_TOKENS);
  const tailStart = Math.max(head, tokens.length - MATCHED_TOKENS);
  for (let i = 0; i < tokens.length; i = i + 1 === head ? tailStart : i + 1) {
    const token = tokens[i]!;
    if (token.length < 3 || token.charCodeAt(0) <= 57) continue;
    const s = stem(token);
    if (!GENERIC.has(s) && !GENERIC.has(token)) stems.add(s);
  }
  if (n === 0 || stems.size === 0) return { ...NO_MATCH, promptStems: stems.size };
  // Hits per tool, in scratch arrays of the index (prediction is synchronous: never used re-entrantly).
  const scratch = scratchOf(index, n);
  const { nameHits, vocabularyHits, requiredHits } = scratch;
  nameHits.fill(0);
  vocabularyHits.fill(0);
  requiredHits.fill(0);
  let requiredSeen: Set<number> | undefined;
  for (const s of stems) {
    const byName = index.byName.get(s);
    if (byName !== undefined) for (const t of byName) nameHits[t]!++;
    const byVocabulary = index.byVocabulary.get(s);
    if (byVocabulary !== undefined) for (const t of byVocabulary) vocabularyHits[t]!++;
    const byRequired = index.byRequired.get(s);
    if (byRequired === undefined) continue;
    requiredSeen ??= new Set();
    for (const pair of byRequired) {
      if (requiredSeen.has(pair)) continue;
      requiredSeen.add(pair);
      requiredHits[Math.floor(pair / 1024)]!++;
    }
  }
  const out = { ...NO_MATCH, promptStems: stems.size };
  for (let t = 0; t < n; t++) {
    const name = index.nameSizes[t]! > 0 ? nameHits[t]! / index.nameSizes[t]! : 0;
    const prompt = vocabularyHits[t]! / stems.size;
    const required = index.requiredSizes[t]! > 0 ? requiredHits[t]! / index.requiredSizes[t]! : 0;
    const score = name + prompt;
    if (name > out.nameCover) out.nameCover = name;
    if (prompt > out.promptCover) out.promptCover = prompt;
    if (required > out.requiredCover) out.requiredCover = required;
    if (score >= 0.5) out.matched++;
    if (score > out.best) {
      out.second = out.best;
      out.best = score;
      out.bestTool = t;
    } else if (score > out.second) out.second = score;
  }
  return out;
}
