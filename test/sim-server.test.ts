import { startSimServer } from "../src/sim/server/server.js";
import { runOpenAIServerContract } from "./contract/openai-server.contract.js";

// A high time scale keeps the 200-stream case fast: the simulated GPU runs 200x faster than a real one.
runOpenAIServerContract("simulator", () => startSimServer({ port: 0, timeScale: 200 }));
