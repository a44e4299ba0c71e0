/** A tiny generated model in a temp dir, shared by the engine tests of one file. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeModelFile } from "../../src/engine/make-model.js";

export async function tinyModel(seed = 1): Promise<{ path: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "augserve-engine-"));
  const path = join(dir, "tiny.gguf");
  await writeModelFile(path, { size: "tiny", seed });
  return { path, dispose: () => rm(dir, { recursive: true, force: true }) };
}
