/**
 * The soak's conversations: a fixed pool the simulator follows, the same in the parent (the agents) and in
 * the simulator's child process. A fixed pool keeps the simulator's own state constant, so that heap growth
 * in the parent is the client's. Run `i` has `i % 3` tool rounds of 1 or 2 parallel calls: a mix of light and
 * multi-round runs.
 */
import type { ConversationScript } from "../../script/types.js";

export function soakScripts(count: number): ConversationScript[] {
  return Array.from({ length: count }, (_, i) => {
    const rounds = i % 3;
    const parallel = 1 + (i % 2);
    return {
      firstUserMessage: `soak ${i}: the weather in ${rounds * parallel} cities, then a short summary`,
      rounds: Array.from({ length: rounds }, (_, r) => ({
        outputTokens: 12,
        toolCalls: Array.from({ length: parallel }, (_, c) => ({
          name: "get_weather",
          arguments: { city: `city-${i}-${r}-${c}` },
        })),
      })),
      finalOutputTokens: 40,
    };
  });
}
