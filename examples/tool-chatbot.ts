/**
 * A tool-heavy chatbot serving many concurrent users through AugServe: calculator, search and weather
 * tools with realistic latencies, users arriving over a few seconds, per-user latency printed.
 *
 *   npm run example:tool-chatbot                    # simulator, 40 users
 *   npm run example:tool-chatbot -- --users 100 --time-scale 10
 *   npm run example:tool-chatbot -- --base-url http://127.0.0.1:8000/v1 --model <served-model>
 */
import { createAgent } from "langchain";
import { createAugServe } from "../src/langchain/index.js";
import { backend, chatModel, makeTools, numberFlag, quantile, userScript } from "./shared.js";

const users = numberFlag("users", 40);
const scripts = Array.from({ length: users }, (_, u) => userScript(u, u % 5, 1 + (u % 3 === 0 ? 1 : 0)));
const server = await backend(scripts);
const aug = createAugServe({
  registry: null,
  ...(server.metricsUrl ? { serverMetricsUrl: server.metricsUrl } : {}),
});
const agent = createAgent({
  model: chatModel(server),
  tools: makeTools(server.timeScale),
  systemPrompt: "You are a helpful assistant with a calculator, web search and weather.",
  middleware: [aug.middleware()],
});

// Arrivals spread over ~2 s of wall time.
const rows = await Promise.all(
  scripts.map(async (s, u) => {
    await new Promise((r) => setTimeout(r, (u / users) * 2000));
    const t0 = performance.now();
    let ttft: number | undefined;
    let chunks = 0;
    for await (const _ of await agent.stream(
      { messages: [{ role: "user", content: s.firstUserMessage }] },
      {
        streamMode: "messages",
        configurable: { thread_id: `user-${u}` },
        // Per-invocation settings: every user is a fairness key; every fifth one's work is background.
        context: {
          augserve: { tenant: `user-${u}`, priorityClass: u % 5 === 4 ? "background" : "interactive" },
        },
      },
    )) {
      ttft ??= performance.now() - t0;
      chunks += 1;
    }
    return {
      user: u,
      rounds: s.rounds.length,
      ttft: ttft ?? Number.NaN,
      e2e: performance.now() - t0,
      chunks,
    };
  }),
);

console.log("user  rounds  first-chunk ms  end-to-end ms");
for (const r of rows) {
  console.log(
    `${String(r.user).padStart(4)}  ${String(r.rounds).padStart(6)}  ${r.ttft.toFixed(0).padStart(14)}  ${r.e2e.toFixed(0).padStart(13)}`,
  );
}
const e2e = rows.map((r) => r.e2e);
console.log(
  `\nE2E p50 ${quantile(e2e, 0.5).toFixed(0)} ms, p99 ${quantile(e2e, 0.99).toFixed(0)} ms over ${users} users`,
);
const arm = aug.report().arms.treatment;
console.log(
  `scheduler view: TTFT p50 ${arm.ttftMs.p50.toFixed(0)} ms, queue wait p50 ${arm.queueWaitMs.p50.toFixed(0)} ms, ` +
    `SLO attainment ${(arm.sloAttainment.value * 100).toFixed(0)}%${server.simulated ? ` (simulator, time scale ${server.timeScale})` : ""}`,
);
// Graceful shutdown: no new runs, wait for the running ones, then stop the metrics poller and timers.
await aug.drain();
aug.close();
await server.close();
