/**
 * `augserve make-model --size tiny|small|medium --seed N --out FILE`: a random-weight llama GGUF for systems
 * testing (not a language model; docs/engine.md).
 */
import type { Command } from "commander";
import { EngineOptionsError } from "../engine/errors.js";
import { MODEL_SIZES, type ModelSize, parameterCount, writeModelFile } from "../engine/make-model.js";

export function registerMakeModelCommand(program: Command): void {
  program
    .command("make-model")
    .description(
      "write a deterministic random-weight llama GGUF model (for systems testing, not a language model)",
    )
    .option("--size <size>", `model shape: ${Object.keys(MODEL_SIZES).join(" | ")}`, "tiny")
    .option("--seed <n>", "seed of the weights (same seed: byte-identical file)", "0")
    .requiredOption("-o, --out <file>", "where to write the .gguf file")
    .action(async (options: { size: string; seed: string; out: string }) => {
      try {
        const bytes = await writeModelFile(options.out, {
          size: options.size as ModelSize,
          seed: Number(options.seed),
        });
        const params = parameterCount(options.size as ModelSize);
        process.stdout.write(
          `${options.out}: ${options.size}, seed ${options.seed}, ${(params / 1e6).toFixed(2)} M parameters, ` +
            `${(bytes / 1e6).toFixed(1)} MB\n`,
        );
      } catch (error) {
        if (!(error instanceof EngineOptionsError) && !(error instanceof Error && "code" in error))
          throw error;
        process.stderr.write(`augserve make-model: ${error.message}\n`);
        process.exitCode = 1;
      }
    });
}
