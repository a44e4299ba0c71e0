#!/usr/bin/env node
/** Entry point of the `augserve` command (see program.ts for the sub-commands). */
import { buildProgram } from "./program.js";

await buildProgram().parseAsync(process.argv);
