/**
 * The engine's state of one request. Allocated once per request; the emission object is reused every step.
 *
 * Token accounting (as vLLM V1): `known = promptLength + generated` tokens exist; `computed` of them have KV.
 * A step computes `scheduled` more; when `computed` reaches `known` the model samples the next token
 * (`generated++`). A decode step is the case `computed === known - 1`. Preemption by recompute sets `computed`
 * back to 0: the request later recomputes its prompt and the output it already produced.
 */
import type { StepEmission } from "../types.js";
import { chainBlockHash, type KvSequence } from "./kv-cache.js";
import type { Queued } from "./request-queue.js";

/** Where a sequence is: waiting, running, or gone (finished or aborted). */
export const SeqState = { Waiting: 0, Running: 1, Done: 2 } as const;
export type SeqState = (typeof SeqState)[keyof typeof SeqState];

export class Sequence implements KvSequence, Queued {
  readonly id: string;
  readonly priority: number;
  readonly arrival: number;
  readonly promptLength: number;
  readonly maxTokens: number;
  /** Hashes of the full blocks of prompt + known output tokens. */
  readonly blockHashes: Float64Array;
  readonly blocks: number[] = [];
  hashedBlocks = 0;
  state: SeqState = SeqState.Waiting;
  generated = 0;
  computed = 0;
  /** Tokens scheduled in the current step (0 when not scheduled). */
  scheduled = 0;
  readonly emission: StepEmission;

  constructor(
    id: string,
    prompt: ArrayLike<number>,
    output: ArrayLike<number> | undefined,
    maxTokens: number,
    priority: number,
    arrival: number,
    blockSize: number,
  ) {
    this.id = id;
    this.priority = priority;
    this.arrival = arrival;
    this.promptLength = prompt.length;
    this.maxTokens = maxTokens;
    this.emission = { id, tokens: 0, first: false, finished: false, cachedTokens: 0 };
    // Only the output the request will really generate can be cached (the last token never gets KV).
    const outputKnown = output === undefined ? 0 : Math.min(output.length, maxTokens - 1);
    const fullBlocks = Math.floor((prompt.length + outputKnown) / blockSize);
    this.blockHashes = new Float64Array(fullBlocks);
    let stream: ArrayLike<number> = prompt;
    if (outputKnown > 0 && output !== undefined) {
      const joined = new Int32Array(prompt.length + outputKnown);
      for (let i = 0; i < prompt.length; i++) joined[i] = prompt[i] as number;
      for (let i = 0; i < outputKnown; i++) joined[prompt.length + i] = output[i] as number;
      stream = joined;
    }
    let parent = 0;
    for (let b = 0; b < fullBlocks; b++) {
      parent = chainBlockHash(parent, stream, b * blockSize, (b + 1) * blockSize);
      this.blockHashes[b] = parent;
    }
  }

  /** Tokens that exist (prompt + generated). */
  get known(): number {
    return this.promptLength + this.generated;
  }

  get remainingTokens(): number {
    return this.maxTokens - this.generated;
  }
}
