/**
 * Child process of the HTTP capacity benchmark: a simulator server with one long scripted answer, so that the
 * parent's client load and the server do not share an event loop. Prints its port, exits on SIGTERM.
 */
import { startSimServer } from "../../sim/server/server.js";

export const BENCH_PROMPT = "bench: stream a long answer";

const tokens = Number(process.argv[2] ?? 200);
const timeScale = Number(process.argv[3] ?? 2);
const sim = await startSimServer({
  port: 0,
  timeScale,
  maxNumSeqs: 4096,
  scripts: [{ firstUserMessage: BENCH_PROMPT, rounds: [], finalOutputTokens: tokens }],
});
process.stdout.write(`${sim.port}\n`);
process.once("SIGTERM", () => void sim.close().then(() => process.exit(0)));
