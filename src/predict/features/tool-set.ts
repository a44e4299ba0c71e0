/**
 * What the bound tools say, computed once per distinct tool set and cached, so that an agent with 50
 * tools does not pay 50 JSON-schema walks on every prediction.
 *
 * Signal: an agent with no tools makes no tool rounds; the number of tools, and what their parameters
 * look like (enumerations, arrays, many required fields), tells what kind of agent it is; the words of
 * the names and descriptions are what a prompt mentions when it asks for a tool.
 */
import type { ToolSchema } from "../types.js";
import { fnv1a } from "./hashing.js";
import { identifierWords } from "./text.js";

/** Summary of one tool set. Plain data; shared between calls, never mutated after construction. */
export interface ToolSetInfo {
  /** Sorted tool names (the agent signature uses them). */
  readonly names: readonly string[];
  /** FNV-1a of the sorted names joined by `\n`. */
  readonly hash: number;
  readonly count: number;
  /** Words of tool names (`get_weather` -> get, weather), lower-case. */
  readonly nameWords: ReadonlySet<string>;
  /** Content words of descriptions (>= 4 letters, not a stop word), lower-case. */
  readonly descriptionWords: ReadonlySet<string>;
  /** Parameters over all tools, counted in the schemas' top-level `properties`. */
  readonly parameters: number;
  readonly requiredParameters: number;
  /** Parameters with an `enum` (closed choices: lookups, modes). */
  readonly enumParameters: number;
  /** Parameters of type `array` (batch tools: fewer rounds for a list of items). */
  readonly arrayParameters: number;
  /** FNV-1a of each tool name, for hashed per-tool features. */
  readonly nameHashes: readonly number[];
}

const STOP = new Set(
  "this that with from into your their them then when will would should could about which while there these those have been were what where also only each other more most such than very".split(
    " ",
  ),
);

/** Schemas deeper than this are not walked (defends against huge or self-similar schemas). */
const MAX_PROPERTIES = 64;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeParameters(schema: unknown) {
  const out = { parameters: 0, required: 0, enums: 0, arrays: 0 };
  if (!isRecord(schema)) return out;
  const properties = schema.properties;
  if (isRecord(properties)) {
    let seen = 0;
    for (const key in properties) {
      if (++seen > MAX_PROPERTIES) break;
      const property = properties[key];
      out.parameters++;
      if (!isRecord(property)) continue;
      if (Array.isArray(property.enum)) out.enums++;
      if (property.type === "array") out.arrays++;
    }
  }
  if (Array.isArray(schema.required)) out.required = Math.min(schema.required.length, MAX_PROPERTIES);
  return out;
}

function safeName(tool: ToolSchema): string {
  return typeof tool?.name === "string" ? tool.name : "";
}

/** Builds the summary of a tool set (uncached; see {@link ToolSetCache}). */
export function describeToolSet(tools: readonly ToolSchema[]): ToolSetInfo {
  const list = Array.isArray(tools) ? tools : [];
  const names = list.map(safeName).sort();
  const nameWords = new Set<string>();
  const descriptionWords = new Set<string>();
  let parameters = 0;
  let requiredParameters = 0;
  let enumParameters = 0;
  let arrayParameters = 0;
  for (const tool of list) {
    for (const word of identifierWords(safeName(tool))) nameWords.add(word);
    const description = typeof tool?.description === "string" ? tool.description.slice(0, 2000) : "";
    for (const word of description.toLowerCase().match(/[a-z]{4,}/g) ?? []) {
      if (!STOP.has(word)) descriptionWords.add(word);
    }
    const p = describeParameters(tool?.parameters);
    parameters += p.parameters;
    requiredParameters += p.required;
    enumParameters += p.enums;
    arrayParameters += p.arrays;
  }
  return {
    names,
    hash: fnv1a(names.join("\n")),
    count: list.length,
    nameWords,
    descriptionWords,
    parameters,
    requiredParameters,
    enumParameters,
    arrayParameters,
    nameHashes: names.map((name) => fnv1a(name)),
  };
}

/**
 * Cache of tool-set summaries. Looked up first by array identity (an agent binds its tools once and
 * passes the same array on every call: one WeakMap probe), then by a key of names and description
 * lengths (the same tools rebuilt per call). Bounded: the oldest key is evicted past `capacity`.
 */
export class ToolSetCache {
  readonly #byArray = new WeakMap<readonly ToolSchema[], ToolSetInfo>();
  readonly #byKey = new Map<string, ToolSetInfo>();
  readonly #capacity: number;

  constructor(capacity = 256) {
    this.#capacity = Math.max(1, capacity);
  }

  get(tools: readonly ToolSchema[]): ToolSetInfo {
    const list = Array.isArray(tools) ? tools : [];
    const hit = this.#byArray.get(list);
    if (hit !== undefined) return hit;
    let key = "";
    for (const tool of list) {
      key += `${safeName(tool)}\u0000${typeof tool?.description === "string" ? tool.description.length : -1}\u0001`;
    }
    let info = this.#byKey.get(key);
    if (info === undefined) {
      info = describeToolSet(list);
      if (this.#byKey.size >= this.#capacity) {
        const oldest = this.#byKey.keys().next().value;
        if (oldest !== undefined) this.#byKey.delete(oldest);
      }
      this.#byKey.set(key, info);
    }
    this.#byArray.set(list, info);
    return info;
  }
}
