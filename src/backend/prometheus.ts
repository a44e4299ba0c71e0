/**
 * A parser for the Prometheus text exposition format (version 0.0.4), the format of `/metrics` on vLLM,
 * SGLang and llama.cpp server.
 *
 * Only what a probe needs: metric samples with their labels and values. `# HELP` / `# TYPE` lines and
 * timestamps are skipped; malformed lines are skipped rather than failing the whole scrape, because one odd
 * line from a server must not blind the scheduler to the others.
 */

/** One sample: a metric name, its labels and its value. */
export interface PrometheusSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Samples grouped by metric name, in the order they appeared. */
export type PrometheusSamples = ReadonlyMap<string, readonly PrometheusSample[]>;

// name, optional {labels}, value, optional timestamp.
const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$/;
// One label pair: name="value", the value with \\, \" and \n escapes.
const LABEL_PAIR = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;

function parseValue(text: string): number | undefined {
  switch (text) {
    case "+Inf":
      return Number.POSITIVE_INFINITY;
    case "-Inf":
      return Number.NEGATIVE_INFINITY;
    case "NaN":
      return Number.NaN;
    default: {
      const value = Number(text);
      return Number.isNaN(value) ? undefined : value;
    }
  }
}

function unescapeLabel(value: string): string {
  return value.replace(/\\(.)/g, (_, ch: string) => (ch === "n" ? "\n" : ch));
}

function parseLabels(text: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  LABEL_PAIR.lastIndex = 0;
  while (LABEL_PAIR.lastIndex < text.length) {
    const at = LABEL_PAIR.lastIndex;
    const match = LABEL_PAIR.exec(text);
    if (match === null) {
      // Trailing whitespace is fine; anything else is a malformed label set.
      return text.slice(at).trim() === "" ? labels : undefined;
    }
    labels[match[1]!] = unescapeLabel(match[2]!);
  }
  return labels;
}

/**
 * Parses a Prometheus text exposition into samples grouped by name.
 *
 * @example
 * ```ts
 * const samples = parsePrometheusText('vllm:num_requests_running{model_name="m"} 3\n');
 * samples.get("vllm:num_requests_running")?.[0]?.value; // 3
 * ```
 */
export function parsePrometheusText(text: string): PrometheusSamples {
  const out = new Map<string, PrometheusSample[]>();
  for (const rawLine of text.split("\n")) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = SAMPLE_LINE.exec(line);
    if (match === null) continue;
    const value = parseValue(match[3]!);
    if (value === undefined) continue;
    const labels = match[2] === undefined ? {} : parseLabels(match[2]);
    if (labels === undefined) continue;
    const name = match[1]!;
    const list = out.get(name);
    const sample = { name, labels, value };
    if (list === undefined) out.set(name, [sample]);
    else list.push(sample);
  }
  return out;
}
