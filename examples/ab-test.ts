/**
 * The production A/B split on the same traffic: half the users (sticky per thread id) go through the
 * scheduler, half straight to the model, and `report()` compares them. With `--aa` an A/A run (both arms
 * plain) first measures the noise floor, and the A/B report says whether each difference exceeds it.
 *
 *   npm run example:ab-test                         # simulator
 *   npm run example:ab-test -- --aa --users 80
 *   npm run example:ab-test -- --base-url http://127.0.0.1:8000/v1 --model <served-model>
 */
import { createAgent } from "langchain";
import { type AbReport, type AugServeOptions, createAugServe } from "../src/langchain/index.js";
import { backend, chatModel, makeTools, numberFlag, userScript } from "./shared.js";

const users = numberFlag("users", 60);
const scripts = Array.from({ length: users }, (_, u) => userScript(u, u % 6, 1));
const server = await backend(scripts);

async function serve(abTest: NonNullable<AugServeOptions["abTest"]>): Promise<AbReport> {
  const aug = createAugServe({ registry: null, abTest, slo: { ttftMs: 1500, normLatencyMsPerToken: 60 } });
  const agent = createAgent({
    model: chatModel(server),
    tools: makeTools(server.timeScale),
    middleware: [aug.middleware()],
  });
  await Promise.all(
    scripts.map(async (s, u) => {
      await new Promise((r) => setTimeout(r, (u / users) * 1500));
      await agent.invoke(
        { messages: [{ role: "user", content: s.firstUserMessage }] },
        { configurable: { thread_id: `user-${u}` } },
      );
    }),
  );
  aug.close();
  return aug.report();
}

function print(report: AbReport): void {
  const { control, treatment } = report.arms;
  console.log(
    `mode ${report.mode}: control (${control.treatment}) ${control.runs} runs, treatment (${treatment.treatment}) ${treatment.runs} runs`,
  );
  console.log("metric                  control   treatment   diff [95% CI]             noise floor  exceeds");
  for (const [name, c] of Object.entries(report.comparison)) {
    const ci = `[${c.diffCi.low.toFixed(2)}, ${c.diffCi.high.toFixed(2)}]`;
    console.log(
      `${name.padEnd(22)} ${c.control.toFixed(2).padStart(8)} ${c.treatment.toFixed(2).padStart(11)}   ${c.diff.toFixed(2).padStart(8)} ${ci.padEnd(18)} ${c.noiseFloor === null ? "      -" : `${(c.noiseFloor * 100).toFixed(0).padStart(6)}%`}  ${c.exceedsNoiseFloor ?? (c.significant ? "sig." : "n.s.")}`,
    );
  }
}

let noiseFloor: AbReport["noiseFloor"] = null;
if (process.argv.includes("--aa")) {
  const aa = await serve({ fraction: 0.5, mode: "aa-plain" });
  print(aa);
  noiseFloor = aa.noiseFloor;
  console.log();
}
print(await serve({ fraction: 0.5, ...(noiseFloor ? { noiseFloor } : {}) }));
await server.close();
