/**
 * A toy step engine for driver tests. It is a test double because the driver's behaviour (event order,
 * records, determinism, every run finishing) must be testable without the simulator's engine; the tests that
 * use the real engine live in bench-virtual.test.ts. FCFS, whole-prompt prefill in one step, one token per
 * step, at most `maxSeqs` running; step time 5 ms + 0.02 ms per prefill token + 0.1 ms per sequence.
 */
import type { EngineEmission, EngineGauges, EngineStep, VirtualEngine } from "../../src/ab/virtual/index.js";
import type { EngineRequest } from "../../src/sim/types.js";

interface Seq {
  id: string;
  prompt: number;
  max: number;
  done: number;
}

export class ToyEngine implements VirtualEngine {
  readonly added: string[] = [];
  #waiting: Seq[] = [];
  #running: Seq[] = [];
  constructor(readonly maxSeqs = 8) {}

  get hasWork(): boolean {
    return this.#waiting.length + this.#running.length > 0;
  }

  add(request: EngineRequest): void {
    if (request.promptTokens.length + request.maxTokens > 100_000) throw new Error(`too long: ${request.id}`);
    this.added.push(request.id);
    this.#waiting.push({
      id: request.id,
      prompt: request.promptTokens.length,
      max: request.maxTokens,
      done: 0,
    });
  }

  abort(id: string): boolean {
    const before = this.#waiting.length + this.#running.length;
    this.#waiting = this.#waiting.filter((s) => s.id !== id);
    this.#running = this.#running.filter((s) => s.id !== id);
    return before !== this.#waiting.length + this.#running.length;
  }

  step(): EngineStep | null {
    if (!this.hasWork) return null;
    let prefill = 0;
    while (this.#running.length < this.maxSeqs && this.#waiting.length > 0) {
      const seq = this.#waiting.shift()!;
      prefill += seq.prompt;
      this.#running.push(seq);
    }
    const emitted: EngineEmission[] = this.#running.map((s) => {
      s.done++;
      return { id: s.id, tokens: 1, first: s.done === 1, finished: s.done >= s.max };
    });
    const durationMs = 5 + 0.02 * prefill + 0.1 * this.#running.length;
    const batchSize = this.#running.length;
    this.#running = this.#running.filter((s) => s.done < s.max);
    return { durationMs, batchSize, emitted, preempted: [] };
  }

  stats(): EngineGauges {
    return {
      running: this.#running.length,
      waiting: this.#waiting.length,
      kvCacheUsage: this.#running.length / this.maxSeqs,
      preemptionsTotal: 0,
    };
  }
}
