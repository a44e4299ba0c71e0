/**
 * The simulated GPU engine: vLLM V1-style iteration-level continuous batching over a paged KV cache.
 *
 * One `step()`:
 * 1. (priority policy) while the best waiting request outranks the worst running one and cannot be admitted
 *    (no sequence slot or too few free blocks), preempt the worst running one (vLLM's priority preemption).
 * 2. Running requests, in admission order, each get their next tokens (1 when decoding, a prompt chunk when
 *    prefilling or recomputing) within the step's token budget `maxNumBatchedTokens`. When the KV cache cannot
 *    hold them, the policy's victim is preempted by recompute (fcfs: the last admitted; priority: the largest
 *    `(priority, arrival)`), possibly the request itself.
 * 3. If nobody was preempted in 2, waiting requests are admitted in queue order while sequence slots, budget
 *    and blocks last: each reuses its longest cached prefix (always recomputing at least its last token) and
 *    schedules a chunk of the rest (chunked prefill).
 * 4. The step's duration comes from the cost model; requests whose known tokens are all computed sample a
 *    token; finished ones release their blocks (which stay in the prefix cache until evicted).
 *
 * The engine has no clock: the caller owns time and advances it by each outcome's `durationMs`.
 */
import { SimInvariantError, SimRequestError } from "../errors.js";
import type {
  EngineRequest,
  EngineStats,
  SimEngine,
  StepEmission,
  StepOptions,
  StepOutcome,
} from "../types.js";
import { fusedDecodeDurationMs, fusedStepsWithin, stepDurationMs } from "./cost-model.js";
import { KvBlockManager } from "./kv-cache.js";
import { type EngineOptions, type ResolvedEngineOptions, resolveEngineOptions } from "./options.js";
import { createRequestQueue, type RequestQueue } from "./request-queue.js";
import { SeqState, Sequence } from "./sequence.js";

export class Engine implements SimEngine {
  readonly options: ResolvedEngineOptions;
  #kv: KvBlockManager;
  #waiting: RequestQueue<Sequence>;
  #running: Sequence[] = [];
  #scheduled: Sequence[] = [];
  #byId = new Map<string, Sequence>();
  #arrivals = 0;
  #stats: EngineStats = {
    running: 0,
    waiting: 0,
    kvCacheUsage: 0,
    preemptionsTotal: 0,
    prefixCacheQueriesTotal: 0,
    prefixCacheHitsTotal: 0,
    stepsTotal: 0,
    busyMsTotal: 0,
    generatedTokensTotal: 0,
    promptTokensTotal: 0,
    prefillTokensTotal: 0,
    finishedTotal: 0,
    abortedTotal: 0,
  };
  #emitted: StepEmission[] = [];
  #preempted: string[] = [];
  #outcome: StepOutcome = {
    durationMs: 0,
    steps: 1,
    firstStepMs: 0,
    prefillTokens: 0,
    decodeSequences: 0,
    batchSize: 0,
    emitted: this.#emitted,
    preempted: this.#preempted,
  };

  /** @throws SimOptionsError, UnknownProfileError, UnknownSchedulingPolicyError */
  constructor(options: EngineOptions = {}) {
    this.options = resolveEngineOptions(options);
    this.#kv = new KvBlockManager(this.options.numBlocks, this.options.blockSize);
    this.#waiting = createRequestQueue<Sequence>(this.options.schedulingPolicy);
  }

  get hasWork(): boolean {
    return this.#running.length > 0 || this.#waiting.size > 0;
  }

  add(request: EngineRequest): void {
    const { id, promptTokens, maxTokens } = request;
    if (this.#byId.has(id)) throw new SimRequestError(id, `Expected a new request id, got \`${id}\` twice`);
    if (!Number.isInteger(maxTokens) || maxTokens < 1) {
      throw new SimRequestError(id, `Expected maxTokens to be an integer >= 1, got ${maxTokens}`);
    }
    if (promptTokens.length < 1)
      throw new SimRequestError(id, "Expected a prompt of at least one token, got 0");
    const total = promptTokens.length + maxTokens;
    if (total > this.options.maxModelLen) {
      throw new SimRequestError(
        id,
        `Expected prompt + max tokens <= ${this.options.maxModelLen} (the model length), got ` +
          `${promptTokens.length} + ${maxTokens} = ${total}`,
      );
    }
    const seq = new Sequence(
      id,
      promptTokens,
      request.outputTokens,
      maxTokens,
      request.priority ?? 0,
      this.#arrivals++,
      this.options.blockSize,
    );
    this.#byId.set(id, seq);
    this.#waiting.push(seq);
    this.#stats.promptTokensTotal += promptTokens.length;
  }

  abort(id: string): boolean {
    const seq = this.#byId.get(id);
    if (seq === undefined) return false;
    if (seq.state === SeqState.Waiting) this.#waiting.remove(seq);
    else {
      const at = this.#running.indexOf(seq);
      if (at >= 0) this.#running.splice(at, 1);
    }
    this.#kv.release(seq);
    seq.state = SeqState.Done;
    this.#byId.delete(id);
    this.#stats.abortedTotal++;
    return true;
  }

  stats(): EngineStats {
    const s = this.#stats;
    s.running = this.#running.length;
    s.waiting = this.#waiting.size;
    s.kvCacheUsage = this.#kv.usage;
    return { ...s };
  }

  /** The KV block manager (read-only use: tests check its invariants). */
  get kvCache(): KvBlockManager {
    return this.#kv;
  }

  step(options?: StepOptions): StepOutcome | null {
    if (!this.hasWork) return null;
    const maxSteps = options?.maxSteps ?? 1;
    if (maxSteps > 1) {
      const fused = this.#tryFused(maxSteps, options?.maxDurationMs ?? Number.POSITIVE_INFINITY);
      if (fused !== null) return fused;
    }
    return this.#singleStep();
  }

  #singleStep(): StepOutcome {
    const o = this.options;
    const running = this.#running;
    const scheduled = this.#scheduled;
    const out = this.#beginOutcome();
    scheduled.length = 0;
    let budget = o.maxNumBatchedTokens;

    if (o.schedulingPolicy === "priority") this.#preemptForWaiting();
    const preemptedBefore = this.#preempted.length;

    for (let i = 0; i < running.length && budget > 0; i++) {
      const seq = running[i] as Sequence;
      const n = Math.min(seq.known - seq.computed, budget);
      let selfPreempted = false;
      while (!this.#kv.grow(seq, seq.computed + n)) {
        const victimAt = this.#victimIndex();
        const victim = running[victimAt] as Sequence;
        budget += victim.scheduled;
        this.#preempt(victimAt);
        if (victim === seq) {
          selfPreempted = true;
          break;
        }
        if (victimAt < i) i--;
      }
      if (selfPreempted) {
        i--;
        continue;
      }
      seq.scheduled = n;
      budget -= n;
      scheduled.push(seq);
    }

    if (this.#preempted.length === preemptedBefore) {
      while (budget > 0 && running.length < o.maxNumSeqs && this.#waiting.size > 0) {
        const seq = this.#waiting.peek() as Sequence;
        const known = seq.known;
        // At least the last known token is computed, so that the step samples a token.
        const hitBlocks = this.#kv.lookupPrefix(seq.blockHashes, Math.floor((known - 1) / o.blockSize));
        const start = hitBlocks * o.blockSize;
        const n = Math.min(known - start, budget);
        if (!this.#kv.admit(seq, hitBlocks, start + n)) break;
        this.#waiting.pop();
        this.#stats.prefixCacheQueriesTotal += known;
        this.#stats.prefixCacheHitsTotal += start;
        seq.computed = start;
        if (seq.generated === 0) seq.emission.cachedTokens = start;
        seq.state = SeqState.Running;
        seq.scheduled = n;
        budget -= n;
        running.push(seq);
        scheduled.push(seq);
      }
    }
    if (budget < 0) throw new SimInvariantError(`token budget went negative (${budget})`);
    if (running.length > o.maxNumSeqs) throw new SimInvariantError(`${running.length} running > maxNumSeqs`);

    let prefill = 0;
    let decodeSeqs = 0;
    let decodeContext = 0;
    let attention = 0;
    let batch = 0;
    let finished = 0;
    let sampled = 0;
    const emitted = this.#emitted;
    for (let i = 0; i < scheduled.length; i++) {
      const seq = scheduled[i] as Sequence;
      const n = seq.scheduled;
      if (n === 0) continue; // preempted after it was scheduled
      seq.scheduled = 0;
      batch++;
      if (n === 1 && seq.generated > 0 && seq.computed === seq.known - 1) {
        decodeSeqs++;
        decodeContext += seq.computed + 1;
      } else {
        prefill += n;
        attention += n * (seq.computed + n / 2);
      }
      seq.computed += n;
      this.#kv.commit(seq, seq.computed);
      const e = seq.emission;
      e.first = false;
      e.finished = false;
      if (seq.computed === seq.known) {
        seq.generated++;
        sampled++;
        e.tokens = 1;
        e.first = seq.generated === 1;
        if (seq.generated >= seq.maxTokens) {
          e.finished = true;
          finished++;
          this.#finish(seq);
        }
      } else e.tokens = 0;
      emitted.push(e);
    }
    if (batch === 0) throw new SimInvariantError("a step with work scheduled nothing");
    if (finished > 0) this.#dropFinished();

    const duration = stepDurationMs(o.cost, prefill, decodeSeqs, decodeContext, attention);
    out.durationMs = duration;
    out.firstStepMs = duration;
    out.prefillTokens = prefill;
    out.decodeSequences = decodeSeqs;
    out.batchSize = batch;
    const s = this.#stats;
    s.stepsTotal++;
    s.busyMsTotal += duration;
    s.generatedTokensTotal += sampled;
    s.prefillTokensTotal += prefill;
    return out;
  }

  /** A fused outcome of k >= 2 decode-only steps, or null when the batch could change sooner. */
  #tryFused(maxSteps: number, maxDurationMs: number): StepOutcome | null {
    const o = this.options;
    const running = this.#running;
    if (running.length === 0) return null;
    // Waiting requests could be admitted (or preempt under priority) at any step, unless slots are full.
    if (this.#waiting.size > 0 && (o.schedulingPolicy !== "fcfs" || running.length < o.maxNumSeqs))
      return null;
    if (running.length > o.maxNumBatchedTokens) return null;
    let k = maxSteps;
    let context = 0;
    for (let i = 0; i < running.length; i++) {
      const seq = running[i] as Sequence;
      if (seq.generated === 0 || seq.computed !== seq.known - 1) return null;
      if (seq.remainingTokens < k) k = seq.remainingTokens;
      context += seq.known;
    }
    const d = running.length;
    k = fusedStepsWithin(o.cost, d, context, k, maxDurationMs);
    if (k < 2) return null;
    // Blocks for all k tokens of every sequence up front; if they do not all fit, single steps decide
    // who gets preempted.
    let needed = 0;
    for (let i = 0; i < d; i++) {
      const seq = running[i] as Sequence;
      const more = this.#kv.blocksFor(seq.computed + k) - seq.blocks.length;
      if (more > 0) needed += more;
    }
    if (needed > this.#kv.freeBlocks) return null;

    const out = this.#beginOutcome();
    const emitted = this.#emitted;
    let finished = 0;
    for (let i = 0; i < d; i++) {
      const seq = running[i] as Sequence;
      this.#kv.grow(seq, seq.computed + k);
      seq.computed += k;
      seq.generated += k;
      this.#kv.commit(seq, seq.computed);
      const e = seq.emission;
      e.tokens = k;
      e.first = false;
      e.finished = seq.generated >= seq.maxTokens;
      if (e.finished) {
        finished++;
        this.#finish(seq);
      }
      emitted.push(e);
    }
    if (finished > 0) this.#dropFinished();
    const duration = fusedDecodeDurationMs(o.cost, d, context, k);
    out.durationMs = duration;
    out.steps = k;
    out.firstStepMs = stepDurationMs(o.cost, 0, d, context, 0);
    out.decodeSequences = d;
    out.batchSize = d;
    const s = this.#stats;
    s.stepsTotal += k;
    s.busyMsTotal += duration;
    s.generatedTokensTotal += k * d;
    return out;
  }

  #beginOutcome(): StepOutcome {
    const out = this.#outcome;
    this.#emitted.length = 0;
    this.#preempted.length = 0;
    out.steps = 1;
    out.prefillTokens = 0;
    out.decodeSequences = 0;
    out.batchSize = 0;
    return out;
  }

  /** Index in `running` of the preemption victim: fcfs the last admitted, priority the largest key. */
  #victimIndex(): number {
    const running = this.#running;
    if (this.options.schedulingPolicy === "fcfs") return running.length - 1;
    let worst = 0;
    for (let i = 1; i < running.length; i++) {
      const a = running[i] as Sequence;
      const w = running[worst] as Sequence;
      if (a.priority > w.priority || (a.priority === w.priority && a.arrival > w.arrival)) worst = i;
    }
    return worst;
  }

  /** The one place a running request goes back to waiting: it loses its KV (blocks stay in the cache). */
  #preempt(at: number): void {
    const seq = this.#running[at] as Sequence;
    this.#running.splice(at, 1);
    this.#kv.release(seq);
    seq.computed = 0;
    seq.scheduled = 0;
    seq.state = SeqState.Waiting;
    this.#waiting.pushPreempted(seq);
    this.#preempted.push(seq.id);
    this.#stats.preemptionsTotal++;
  }

  /** Priority policy: make room for a waiting request that outranks running ones. */
  #preemptForWaiting(): void {
    const o = this.options;
    for (;;) {
      const head = this.#waiting.peek();
      if (head === undefined || this.#running.length === 0) return;
      const victimAt = this.#victimIndex();
      const victim = this.#running[victimAt] as Sequence;
      const outranks =
        head.priority < victim.priority ||
        (head.priority === victim.priority && head.arrival < victim.arrival);
      if (!outranks) return;
      const chunk = Math.min(head.known, o.maxNumBatchedTokens);
      const fits = this.#running.length < o.maxNumSeqs && this.#kv.blocksFor(chunk) <= this.#kv.freeBlocks;
      if (fits) return;
      this.#preempt(victimAt);
    }
  }

  #finish(seq: Sequence): void {
    this.#kv.release(seq);
    seq.state = SeqState.Done;
    this.#byId.delete(seq.id);
    this.#stats.finishedTotal++;
  }

  #dropFinished(): void {
    const running = this.#running;
    let w = 0;
    for (let r = 0; r < running.length; r++) {
      const seq = running[r] as Sequence;
      if (seq.state === SeqState.Running) running[w++] = seq;
    }
    running.length = w;
  }
}
