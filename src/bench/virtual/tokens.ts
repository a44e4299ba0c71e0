/**
 * Token ids of a run's calls in virtual time. The first prompt is rendered with the simulator's chat
 * template (so runs of a class share their system-prompt prefix in the prefix cache, as they would on the
 * live simulator), then sized to the run's `promptTokens` (trace runs record counts, not text). Each later
 * call's prompt is the previous prompt + the previous call's output + the tool results, and the previous
 * output is handed to the engine as the request's `outputTokens`, so follow-up calls hit the prefix cache
 * exactly when a real server's would.
 */
import { renderConversation } from "../../sim/tokenizer.js";
import { hashString } from "../workload/rng.js";
import type { GeneratedRun } from "../workload/types.js";

/** `count` pseudo-random token ids, deterministic in `key`. */
export function syntheticIds(key: string, count: number): number[] {
  const out = new Array<number>(count);
  let state = hashString(key) | 1;
  for (let i = 0; i < count; i++) {
    // xorshift32: cheap, deterministic, good enough to make ids unique per run.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = (state >>> 0) % 128_000;
  }
  return out;
}

/** Prompt ids of a run's first call: exactly `run.promptTokens` long (at least 1). */
export function firstPromptIds(run: GeneratedRun): number[] {
  const ids = renderConversation(
    [
      { role: "system", content: run.systemPrompt },
      { role: "user", content: run.userPrompt },
    ],
    run.tools.length === 0 ? undefined : JSON.stringify(run.tools),
  );
  const target = Math.max(1, run.promptTokens);
  if (ids.length > target) {
    // Keep the shared prefix, end with run-unique ids so two runs never have identical prompts.
    const unique = syntheticIds(`${run.id}:tail`, Math.min(target, 8));
    return [...ids.slice(0, target - unique.length), ...unique];
  }
  if (ids.length < target) ids.push(...syntheticIds(`${run.id}:pad`, target - ids.length));
  return ids;
}
