/**
 * Where a benchmark's results go, the same for every mode: `--json OUT` writes the results file (`-`: to standard
 * output, with the tables moved to standard error so the JSON stays parseable), `--html OUT` the HTML report.
 */
import { writeFileSync } from "node:fs";
import { type BenchResultsInput, writeHtmlReport } from "../report/index.js";

export interface BenchOutputFlags {
  json?: string | undefined;
  html?: string | undefined;
}

/**
 * Writes the results file and the report as the flags ask, and returns what goes to standard output: the JSON
 * with `--json -`, the text tables otherwise.
 */
export async function writeBenchOutputs(
  report: BenchResultsInput,
  text: string,
  flags: BenchOutputFlags,
): Promise<string> {
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (flags.json === "-") process.stderr.write(text);
  else if (flags.json !== undefined) writeFileSync(flags.json, json);
  if (flags.html !== undefined) await writeHtmlReport(report, flags.html);
  return flags.json === "-" ? json : text;
}
