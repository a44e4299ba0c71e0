/**
 * The engine's curve: `c` requests arrive at once on an engine of `parallel = c` sequences, each with a
 * prompt of `promptTokens` distinct tokens and `outputTokens` to decode. Per concurrency: mean TTFT (arrival
 * to first token), per-sequence decode rate (tokens after the first / time from first to last token, mean
 * over requests) and aggregate rate (all output tokens / time from arrival to the last token).
 */
import { LlamaEngine } from "../../engine/engine.js";
import { loadModel, type Token } from "../../engine/llama.js";

export interface CurvePoint {
  concurrency: number;
  ttftMs: number;
  perSequenceTokensPerS: number;
  aggregateTokensPerS: number;
}

export interface CurveOptions {
  modelPath: string;
  concurrency: readonly number[];
  promptTokens: number;
  outputTokens: number;
  /**
   * Repetitions per point; the best of each figure is kept (lowest TTFT, highest rates): on a shared machine
   * the least disturbed run is the closest to the engine's own speed.
   */
  repeats: number;
  threads: number;
  onProgress?: (done: number, total: number) => void;
}

const FILLER =
  "the model and a tool call about the weather in a city, then the next step of the plan is to check the result ";

/** A prompt of exactly `length` tokens whose start differs for each `salt` (no prefix-cache hit across them). */
function syntheticPrompt(model: LlamaEngine["loaded"]["model"], length: number, salt: number): Token[] {
  const bos = model.tokens.bos;
  const out: Token[] = bos === null ? [] : [bos];
  out.push(...model.tokenize(`request ${salt}: `));
  const filler = model.tokenize(FILLER);
  while (out.length < length) out.push(...filler);
  return out.slice(0, length);
}

async function measureOnce(
  engine: LlamaEngine,
  c: number,
  o: CurveOptions,
  salt: number,
): Promise<CurvePoint> {
  const start = performance.now();
  const runs = Array.from({ length: c }, async (_, i) => {
    let first = 0;
    let last = 0;
    await engine.generate({
      prompt: syntheticPrompt(engine.loaded.model, o.promptTokens, salt * 1000 + i),
      maxTokens: o.outputTokens,
      signal: new AbortController().signal,
      onToken(_token, index) {
        last = performance.now();
        if (index === 0) first = last;
      },
    });
    return { ttft: first - start, rate: ((o.outputTokens - 1) * 1000) / (last - first), end: last };
  });
  const results = await Promise.all(runs);
  const end = Math.max(...results.map((r) => r.end));
  return {
    concurrency: c,
    ttftMs: results.reduce((s, r) => s + r.ttft, 0) / c,
    perSequenceTokensPerS: results.reduce((s, r) => s + r.rate, 0) / c,
    aggregateTokensPerS: (c * o.outputTokens * 1000) / (end - start),
  };
}

/** Measures the curve (one engine per concurrency, warmed up by one short request). */
export async function measureCurve(o: CurveOptions): Promise<CurvePoint[]> {
  const points: CurvePoint[] = [];
  let done = 0;
  for (const c of o.concurrency) {
    const contextSize = o.promptTokens + o.outputTokens + 16;
    const loaded = await loadModel({ modelPath: o.modelPath, parallel: c, contextSize, threads: o.threads });
    const engine = new LlamaEngine(loaded, contextSize);
    try {
      await measureOnce(engine, 1, { ...o, outputTokens: 8 }, 999);
      const reps: CurvePoint[] = [];
      for (let r = 0; r < o.repeats; r++) {
        reps.push(await measureOnce(engine, c, o, r));
        o.onProgress?.(++done, o.concurrency.length * o.repeats);
      }
      points.push({
        concurrency: c,
        ttftMs: Math.min(...reps.map((p) => p.ttftMs)),
        perSequenceTokensPerS: Math.max(...reps.map((p) => p.perSequenceTokensPerS)),
        aggregateTokensPerS: Math.max(...reps.map((p) => p.aggregateTokensPerS)),
      });
    } finally {
      await engine.close();
    }
  }
  return points;
}
