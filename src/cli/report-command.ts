/** `augserve report results.json [--out FILE]`: the HTML report of a benchmark results file (docs/report.md). */
import type { Command } from "commander";
import {
  BenchResultsError,
  DEFAULT_REPORT_PATH,
  readBenchResults,
  writeHtmlReport,
} from "../report/index.js";

export function registerReportCommand(program: Command): void {
  program
    .command("report")
    .description("write a self-contained HTML report (tables and charts) of an `augserve bench --json` file")
    .argument("<results.json>", "benchmark results written by `augserve bench --json`")
    .option("-o, --out <file>", "where to write the HTML report", DEFAULT_REPORT_PATH)
    .action(async (file: string, options: { out: string }) => {
      try {
        const results = await readBenchResults(file);
        process.stdout.write(`${await writeHtmlReport(results, options.out)}\n`);
      } catch (error) {
        // A bad results file is the user's to fix: say what is wrong without a stack trace.
        if (!(error instanceof BenchResultsError) && !isMissingFile(error)) throw error;
        process.stderr.write(`augserve report: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
      }
    });
}

function isMissingFile(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && "code" in error && (error.code === "ENOENT" || error.code === "EISDIR");
}
