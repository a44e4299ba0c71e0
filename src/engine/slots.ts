/**
 * The engine's slots, as llama.cpp's server has them: `parallel` sequences of one context, and a FIFO queue
 * of requests beyond them (`requests_deferred`).
 *
 * A free slot keeps the KV of its last request (llama.cpp's `cache_prompt`): a new request takes the free
 * slot whose held tokens share the longest prefix with its prompt (least recently used on ties), so an
 * agent's next call usually lands where its previous call left its conversation.
 */
import type { LlamaContextSequence, Token } from "./llama.js";

export interface Slot {
  readonly index: number;
  readonly sequence: LlamaContextSequence;
  busy: boolean;
  /** Tokens of the prompt being processed (KV-use accounting); 0 when free. */
  activeTokens: number;
  lastUsed: number;
}

interface Waiter {
  prompt: readonly Token[];
  resolve: (slot: Slot) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

/** Length of the common prefix of `a` and `b`. */
export function commonPrefix(a: readonly Token[], b: readonly Token[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

export class SlotPool {
  readonly slots: readonly Slot[];
  #waiting: Waiter[] = [];
  #uses = 0;

  constructor(sequences: readonly LlamaContextSequence[]) {
    this.slots = sequences.map((sequence, index) => ({
      index,
      sequence,
      busy: false,
      activeTokens: 0,
      lastUsed: 0,
    }));
  }

  /** Requests holding a slot (`llamacpp:requests_processing`). */
  get processing(): number {
    let n = 0;
    for (const slot of this.slots) if (slot.busy) n++;
    return n;
  }

  /** Requests queued for a slot (`llamacpp:requests_deferred`). */
  get deferred(): number {
    return this.#waiting.length;
  }

  /**
   * A slot for `prompt`: at once when one is free, else in FIFO order as slots free up. Rejects with the
   * signal's reason when `signal` aborts while waiting (the request leaves the queue).
   */
  acquire(prompt: readonly Token[], signal: AbortSignal): Promise<Slot> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const free = this.#bestFree(prompt);
    if (free !== undefined) return Promise.resolve(this.#take(free));
    return new Promise<Slot>((resolve, reject) => {
      const waiter: Waiter = {
        prompt,
        resolve,
        reject,
        signal,
        onAbort: () => {
          const at = this.#waiting.indexOf(waiter);
          if (at >= 0) this.#waiting.splice(at, 1);
          reject(signal.reason);
        },
      };
      signal.addEventListener("abort", waiter.onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  /** Frees `slot` (exactly once per `acquire`); the head of the queue takes it. */
  release(slot: Slot): void {
    if (!slot.busy) throw new Error(`slot ${slot.index} released twice`);
    slot.busy = false;
    slot.activeTokens = 0;
    const next = this.#waiting.shift();
    if (next === undefined) return;
    next.signal.removeEventListener("abort", next.onAbort);
    next.resolve(this.#take(slot));
  }

  /** Rejects every queued request (server shutting down). */
  rejectWaiting(error: unknown): void {
    for (const waiter of this.#waiting.splice(0)) {
      waiter.signal.removeEventListener("abort", waiter.onAbort);
      waiter.reject(error);
    }
  }

  #take(slot: Slot): Slot {
    slot.busy = true;
    slot.lastUsed = ++this.#uses;
    return slot;
  }

  #bestFree(prompt: readonly Token[]): Slot | undefined {
    let best: Slot | undefined;
    let bestShared = -1;
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const shared = commonPrefix(slot.sequence.contextTokens, prompt);
      if (shared > bestShared || (shared === bestShared && slot.lastUsed < (best?.lastUsed ?? 0))) {
        best = slot;
        bestShared = shared;
      }
    }
    return best;
  }
}
