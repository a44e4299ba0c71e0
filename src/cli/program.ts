/**
 * The `augserve` command's program. Each sub-command lives in its own module and registers itself here;
 * `main.ts` only runs it, so tests can build the program without parsing `process.argv`.
 */
import { Command } from "commander";
import { registerBenchCommand } from "./bench-command.js";
import { registerDemoCommand } from "./demo-command.js";
import { registerEngineCommand } from "./engine-command.js";
import { registerGatewayCommand } from "./gateway-command.js";
import { registerMakeModelCommand } from "./make-model-command.js";
import { registerReportCommand } from "./report-command.js";
import { registerSimCommand } from "./sim-command.js";

export function buildProgram(): Command {
  const program = new Command()
    .name("augserve")
    .description("AugServe.js: scheduling for tool-using LangChain agents on self-hosted GPU servers")
    .showHelpAfterError();
  // Sub-commands register here, one line each.
  registerDemoCommand(program);
  registerBenchCommand(program);
  registerReportCommand(program);
  registerSimCommand(program);
  registerMakeModelCommand(program);
  registerEngineCommand(program);
  registerGatewayCommand(program);
  return program;
}
