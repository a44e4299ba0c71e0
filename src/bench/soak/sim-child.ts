/**
 * Child process of `bench:soak`: the simulator with the soak's conversations, so that its heap and event
 * loop are not the measured client's. Prints its port, exits on SIGTERM.
 * argv: conversations, timeScale.
 */
import { startSimServer } from "../../sim/server/server.js";
import { soakScripts } from "./scripts.js";

const conversations = Number(process.argv[2] ?? 64);
const timeScale = Number(process.argv[3] ?? 20);
const sim = await startSimServer({ port: 0, timeScale, scripts: soakScripts(conversations) });
process.stdout.write(`${sim.port}\n`);
process.once("SIGTERM", () => void sim.close().then(() => process.exit(0)));
