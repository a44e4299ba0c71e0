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
import { indexSchemas, type SchemaIndex } from "./schema-match.js";
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
  /** Parameters over all tools, counted through nested objects and array items. */
  readonly parameters: number;
  readonly requiredParameters: number;
  /** Parameters with an `enum` (closed choices: lookups, modes). */
  readonly enumParameters: number;
  /** Parameters of type `array` (batch tools: fewer rounds for a list of items). */
  readonly arrayParameters: number;
  /** FNV-1a of each tool name, for hashed per-tool features. */
  readonly nameHashes: readonly number[];
  /** Properties below the top level of a schema, over all tools. */
  readonly nestedParameters: number;
  /** The schemas indexed for matching prompts against them (see schema-match.ts). */
  readonly schema: SchemaIndex;
}

const STOP = new Set(
  "this that with from into your their them then when will would should could about which while there these those have been were what where also only each other more most such than very".split(
    " ",
  ),
);

/** A cheap key of a schema's shape: its top-level property names and required list. */
function schemaKey(parameters: unknown): string {
  if (typeof parameters !== "object" || parameters === null) return "";
  const p = parameters as { properties?: unknown; required?: unknown };
  const props = typeof p.properties === "object" && p.properties !== null ? Object.keys(p.properties) : [];
  return `${props.join(",")}|${Array.isArray(p.required) ? p.required.length : -1}`;
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
  const schema = indexSchemas(
    list.map((tool) => ({
      name: safeName(tool),
      description: typeof tool?.description === "string" ? tool.description : undefined,
      parameters: tool?.parameters,
    })),
  );
  for (const tool of list) {
    for (const word of identifierWords(safeName(tool))) nameWords.add(word);
    const description = typeof tool?.description === "string" ? tool.description.slice(0, 2000) : "";
    for (const word of description.toLowerCase().match(/[a-z]{4,}/g) ?? []) {
      if (!STOP.has(word)) descriptionWords.add(word);
    }
  }
  const total = (key: "parameters" | "required" | "enums" | "arrays" | "nested") =>
    schema.shapes.reduce((sum, shape) => sum + shape[key], 0);
  return {
    names,
    hash: fnv1a(names.join("\n")),
    count: list.length,
    nameWords,
    descriptionWords,
    parameters: total("parameters"),
    requiredParameters: total("required"),
    enumParameters: total("enums"),
    arrayParameters: total("arrays"),
    nameHashes: names.map((name) => fnv1a(name)),
    nestedParameters: total("nested"),
    schema,
  };
}

/**
 * Cache of tool-set summaries. Looked up first by array identity (an agent binds its tools once and
 * passes the same array on every call: one WeakMap probe), then by a key of names and description
 * lengths and of the schemas' shape (the same tools rebuilt per call: a tool whose parameters change is
 * a new tool set). Bounded: the oldest key is evicted past `capacity`.
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
      key += `${safeName(tool)}\u0000${typeof tool?.description === "string" ? tool.description.length : -1}\u0000${schemaKey(tool?.parameters)}\u0001`;
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
