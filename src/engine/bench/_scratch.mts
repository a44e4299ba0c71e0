import { measureCurve } from "./curve.js";

for (const size of (process.argv[2] ?? "tiny").split(",")) {
  const pts = await measureCurve({
    modelPath: `/tmp/engine-scratch/${size}.gguf`,
    concurrency: [1, 2, 4, 8, 16],
    promptTokens: 128,
    outputTokens: 128,
    repeats: 1,
    threads: 1,
  });
  console.log(size);
  console.table(pts);
}
