#!/usr/bin/env node
/**
 * The `augserve` command. Each sub-command lives in its own module and registers itself on the program;
 * this file only wires them together.
 */
import { Command } from "commander";
import { registerBenchCommand } from "./bench-command.js";
import { registerDemoCommand } from "./demo-command.js";
import { registerReportCommand } from "./report-command.js";
import { registerSimCommand } from "./sim-command.js";

export function buildProgram(): Command {
  const program = new Command()
    .name("augserve")
    .description("AugServe.js: scheduling for tool-using LangChain agents on self-hosted GPU servers")
    .showHelpAfterError();
  // Sub-commands register here, one line each: registerXCommand(program);
  registerBenchCommand(program);
  registerDemoCommand(program);
  registerReportCommand(program);
  registerSimCommand(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
