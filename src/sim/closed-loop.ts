/**
 * Replays a closed-loop serving benchmark on the engine in virtual time: `vllm bench serve --max-concurrency C
 * --request-rate inf`, where at most C requests are in flight and each finished one is replaced at once by the
 * next of `count`. The fidelity table uses it for the published concurrency sweeps (docs/simulator.md).
 */

import { mulberry32 } from "../util/prng.js";
import { Engine } from "./engine/engine.js";
import type { EngineOptions } from "./engine/options.js";
import { getProfile } from "./engine/profiles.js";

export interface ClosedLoopSetup {
  /** Most requests in flight (`--max-concurrency`). */
  concurrency: number;
  /** Requests sent in all (`--num-prompts`). */
  count: number;
  /** Prompt tokens of every request (`--random-input-len`). */
  promptTokens: number;
  /** Output tokens of request `i` (the published mean, or a stated distribution around it). */
  outputTokens: (i: number) => number;
  seed?: number;
}

/** What `vllm bench serve` prints for such a run (times in ms, from the client's send to its tokens). */
export interface ClosedLoopResult {
  requestsPerS: number;
  outputTokensPerS: number;
  meanTtftMs: number;
  medianTtftMs: number;
  /** Mean over requests of (E2E - TTFT) / (output tokens - 1): vLLM's TPOT. */
  meanTpotMs: number;
}

function median(sorted: number[]): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const mid = Math.floor(n / 2);
  return n % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * Runs the closed loop to its last token. Each request reaches the engine `serverOverheadMs` after it is sent
 * (the API server's own time) and is admitted at the next step boundary, as in vLLM.
 */
export function closedLoopRun(options: EngineOptions, setup: ClosedLoopSetup): ClosedLoopResult {
  const engine = new Engine(options);
  const overheadMs = getProfile(engine.options.profile.name).serverOverheadMs;
  const random = mulberry32(setup.seed ?? 11);
  const sentAt = new Map<string, number>();
  const firstAt = new Map<string, number>();
  const tokensOf = new Map<string, number>();
  /** Sent requests not yet in the engine, in send order (so also in order of arrival at the engine). */
  const pending: { id: string; at: number }[] = [];
  const ttfts: number[] = [];
  const tpots: number[] = [];
  let next = 0;
  let outputTokens = 0;
  let now = 0;
  let lastFinish = 0;

  const send = (): void => {
    const id = `r${next}`;
    const tokens = Math.max(1, Math.round(setup.outputTokens(next)));
    next++;
    sentAt.set(id, now);
    tokensOf.set(id, tokens);
    pending.push({ id, at: now + overheadMs });
  };
  const admitArrived = (): void => {
    while (pending.length > 0 && (pending[0]?.at ?? Infinity) <= now) {
      const p = pending.shift() as { id: string; at: number };
      const prompt = new Int32Array(setup.promptTokens);
      for (let t = 0; t < prompt.length; t++) prompt[t] = Math.floor(random() * 128_000);
      engine.add({ id: p.id, promptTokens: prompt, maxTokens: tokensOf.get(p.id) ?? 1 });
    }
  };

  for (let i = 0; i < Math.min(setup.concurrency, setup.count); i++) send();
  while (pending.length > 0 || engine.hasWork) {
    if (!engine.hasWork) now = Math.max(now, pending[0]?.at ?? now);
    admitArrived();
    const out = engine.step();
    if (out === null) continue;
    now += out.durationMs;
    for (const e of out.emitted) {
      if (e.first) firstAt.set(e.id, now);
      if (!e.finished) continue;
      const sent = sentAt.get(e.id) ?? 0;
      const first = firstAt.get(e.id) ?? now;
      const tokens = tokensOf.get(e.id) ?? 1;
      ttfts.push(first - sent);
      if (tokens > 1) tpots.push((now - first) / (tokens - 1));
      outputTokens += tokens;
      lastFinish = now;
      if (next < setup.count) send();
    }
  }
  ttfts.sort((a, b) => a - b);
  const seconds = lastFinish / 1000;
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  return {
    requestsPerS: setup.count / seconds,
    outputTokensPerS: outputTokens / seconds,
    meanTtftMs: mean(ttfts),
    medianTtftMs: median(ttfts),
    meanTpotMs: mean(tpots),
  };
}
