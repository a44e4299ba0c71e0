/**
 * Child process of `bench:gateway`: a gateway in front of the upstreams given as arguments, on its own event
 * loop (the client load and the simulator run in other processes). The budget is fixed and large so that the
 * bench measures the proxy path, not admission. Prints its port, exits on SIGTERM.
 */
import { startGateway } from "../../gateway/server.js";

const upstreams = process.argv.slice(2);
const gateway = await startGateway({
  upstreams,
  port: 0,
  scheduler: { budget: { mode: "fixed", tokens: 100_000_000 } },
  metricsPollIntervalMs: 1000,
});
process.stdout.write(`${gateway.port}\n`);
process.once("SIGTERM", () => void gateway.close().then(() => process.exit(0)));
process.once("SIGINT", () => void gateway.close().then(() => process.exit(0)));
