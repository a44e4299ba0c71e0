/**
 * An existing LangChain agent, scheduled by AugServe with one line: `middleware: [augserve()]`.
 *
 *   npm run example:one-line                        # against the in-process simulator
 *   npm run example:one-line -- --base-url http://127.0.0.1:8000/v1 --model meta-llama/Llama-3.1-8B-Instruct
 */
import { createAgent } from "langchain";
import { augserve } from "../src/langchain/index.js";
import { backend, chatModel, makeTools, userScript } from "./shared.js";

const scripts = [userScript(1, 2), userScript(2, 0), userScript(3, 3, 2)];
const server = await backend(scripts);

// The agent as it was, plus one line.
const agent = createAgent({
  model: chatModel(server),
  tools: makeTools(server.timeScale),
  systemPrompt: "You are a helpful assistant. Use the tools when they help.",
  middleware: [augserve({ registry: null })], // <- the one line
});

const started = performance.now();
const results = await Promise.all(
  scripts.map(async (s) => {
    const t0 = performance.now();
    const result = await agent.invoke({ messages: [{ role: "user", content: s.firstUserMessage }] });
    return { question: s.firstUserMessage, messages: result.messages.length, ms: performance.now() - t0 };
  }),
);
for (const r of results) console.log(`${r.question}  ->  ${r.messages} messages in ${r.ms.toFixed(0)} ms`);
console.log(
  `all done in ${(performance.now() - started).toFixed(0)} ms${server.simulated ? " (simulator)" : ""}`,
);
await server.close();
