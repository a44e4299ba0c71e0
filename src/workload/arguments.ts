/**
 * Tool-call arguments drawn from a tool's JSON schema, so that the scripted calls of a run are valid for the
 * tools bound to it. Covers the subset of JSON Schema that function tools use: `type` (object, string,
 * number, integer, boolean, array, null, or a list of them), `properties`/`required`, `enum`, `const`,
 * `minimum`/`maximum` (and exclusive forms), `minLength`/`maxLength`, `items`/`minItems`/`maxItems`,
 * `anyOf`/`oneOf`. Anything else draws a string.
 */
import type { Rng } from "./rng.js";

type JsonSchema = Record<string, unknown>;

const WORDS = [
  "alpha",
  "report",
  "paris",
  "summary",
  "blue",
  "invoice",
  "river",
  "table",
  "mountain",
  "query",
];

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function num(schema: JsonSchema, key: string): number | undefined {
  const v = schema[key];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function drawString(schema: JsonSchema, rng: Rng, hint: string | undefined): string {
  const minLength = num(schema, "minLength") ?? 0;
  const maxLength = num(schema, "maxLength") ?? 64;
  let text = hint ?? `${rng.pick(WORDS)} ${rng.pick(WORDS)}`;
  while (text.length < minLength) text += ` ${rng.pick(WORDS)}`;
  return text.slice(0, Math.max(minLength, maxLength));
}

function drawNumber(schema: JsonSchema, rng: Rng, integer: boolean): number {
  const exMin = num(schema, "exclusiveMinimum");
  const exMax = num(schema, "exclusiveMaximum");
  let lo = num(schema, "minimum") ?? (exMin !== undefined ? exMin + (integer ? 1 : 1e-6) : 0);
  let hi = num(schema, "maximum") ?? (exMax !== undefined ? exMax - (integer ? 1 : 1e-6) : lo + 100);
  if (hi < lo) [lo, hi] = [hi, lo];
  if (integer) return rng.int(Math.ceil(lo), Math.floor(hi));
  return Math.round((lo + rng.next() * (hi - lo)) * 100) / 100;
}

/**
 * A value valid against `schema`.
 * @param hint text to use for a string value (the run's items), when the schema allows it.
 */
export function generateValue(schema: unknown, rng: Rng, hint?: string, depth = 0): unknown {
  if (!isSchema(schema)) return drawString({}, rng, hint);
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return rng.pick(schema.enum);
  const alternatives = (schema.anyOf ?? schema.oneOf) as unknown;
  if (Array.isArray(alternatives) && alternatives.length > 0)
    return generateValue(rng.pick(alternatives), rng, hint, depth + 1);
  let type = schema.type;
  if (Array.isArray(type)) type = type.find((t) => t !== "null") ?? type[0];
  if (type === undefined && isSchema(schema.properties)) type = "object";
  switch (type) {
    case "object":
      return generateObject(schema, rng, hint, depth);
    case "integer":
      return drawNumber(schema, rng, true);
    case "number":
      return drawNumber(schema, rng, false);
    case "boolean":
      return rng.next() < 0.5;
    case "null":
      return null;
    case "array": {
      const minItems = num(schema, "minItems") ?? 1;
      const maxItems = Math.max(minItems, num(schema, "maxItems") ?? minItems + 2);
      const count = depth > 4 ? minItems : rng.int(minItems, maxItems);
      return Array.from({ length: count }, () => generateValue(schema.items ?? {}, rng, hint, depth + 1));
    }
    default:
      return drawString(schema, rng, hint);
  }
}

function generateObject(schema: JsonSchema, rng: Rng, hint: string | undefined, depth: number) {
  const out: Record<string, unknown> = {};
  const properties = isSchema(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  for (const [key, sub] of Object.entries(properties)) {
    // Required fields always; optional ones half the time, and never too deep (recursive schemas).
    if (required.has(key) || (depth < 3 && rng.next() < 0.5))
      out[key] = generateValue(sub, rng, hint, depth + 1);
  }
  for (const key of required) if (!(key in out)) out[key] = drawString({}, rng, hint);
  return out;
}

/** Arguments of one call of a tool with the given parameter schema (always an object). */
export function generateArguments(parameters: unknown, rng: Rng, hint?: string): Record<string, unknown> {
  const value = generateValue(parameters ?? { type: "object" }, rng, hint);
  return isSchema(value) ? value : {};
}
