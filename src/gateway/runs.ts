/**
 * The gateway's runs: which run a request belongs to (an explicit header, else conversation continuity,
 * else a new run), its Stage I predictions, its scheduler handles (one per replica it has used, each in that
 * replica's scheduler), parking after a tool-call reply, and its end: a final answer, or abandonment after
 * `runIdleTimeoutMs` without a call.
 *
 * Memory is bounded by bytes, not only by count: each run's retained text (the Stage I context: system and
 * user prompts, cut to 32 KiB each (retained.ts), and the tool schemas) is counted, and
 * past `maxRetainedBytes` the least recently active runs without a call in flight are abandoned, oldest
 * first. A run that can never be continued is dropped as soon as its call fails or is aborted.
 */
import { randomUUID } from "node:crypto";
import { toRunEstimate } from "../predict/estimate.js";
import type { PredictionContext, Predictor } from "../predict/types.js";
import type {
  PriorityClass,
  RunEstimate,
  RunHandle,
  RunOutcome,
  SchedulerApi,
  Slo,
} from "../scheduler/types.js";
import type { ChatCompletionBody } from "../wire/schema.js";
import {
  type AssistantTurn,
  ContinuationIndex,
  extendChain,
  messageChain,
  promptParts,
} from "./conversation.js";
import type { RunHints } from "./hints.js";
import { keptText, retainedBytesOf } from "./retained.js";

/** How a request's run was found. */
export type IdentitySource = "header" | "continuity" | "new";

/** How a run ended. `abandoned`: no next call came within the idle time-out. */
export type GatewayRunOutcome = RunOutcome | "abandoned";

/** One run as the gateway tracks it. */
export class GatewayRun {
  readonly id: string;
  readonly explicit: boolean;
  readonly arrivalMs: number;
  readonly context: PredictionContext;
  readonly slo: Slo;
  readonly priorityClass: PriorityClass;
  readonly tenant: string | undefined;
  /** Scheduler handle per replica index. */
  readonly handles = new Map<number, RunHandle>();
  /** Replica of the previous call. */
  replica: number | undefined;
  /** The latest Stage I estimate of the rest of the run. */
  estimate: RunEstimate = { remainingToolRounds: 0, outputTokensPerCall: 0, finalOutputTokens: 0 };
  /** Tokens counted in its replica's parked load while parked. */
  parkedCharge = 0;
  lastActivityMs: number;
  /** Set while parked (after a tool-call reply). */
  parkedAtMs: number | undefined;
  parkedTools: string[] = [];
  callsInFlight = 0;
  /** Prompt and output tokens of the previous call (server-reported where known). */
  lastPromptTokens = 0;
  lastOutputTokens = 0;
  firstTokenMs: number | undefined;
  readonly outputsPerCall: number[] = [];
  readonly toolCallsPerRound: number[] = [];
  ended = false;
  /** Bytes of retained state counted for this run (see `maxRetainedBytes`). */
  retainedBytes = 0;

  constructor(init: {
    id: string;
    explicit: boolean;
    nowMs: number;
    context: PredictionContext;
    slo: Slo;
    priorityClass: PriorityClass;
    tenant: string | undefined;
  }) {
    this.id = init.id;
    this.explicit = init.explicit;
    this.arrivalMs = init.nowMs;
    this.lastActivityMs = init.nowMs;
    this.context = init.context;
    this.slo = init.slo;
    this.priorityClass = init.priorityClass;
    this.tenant = init.tenant;
  }
}

export interface RunRegistryOptions {
  predictor: Predictor;
  /** The scheduler of each replica. */
  schedulers: readonly SchedulerApi[];
  slo: Slo;
  idleTimeoutMs: number;
  maxRuns: number;
  /** Most bytes of retained run state (text and tool schemas, counted as documented); oldest idle runs go first. */
  maxRetainedBytes: number;
  now: () => number;
  /** Told of every run that ends. */
  onRunEnded?: (run: GatewayRun, outcome: GatewayRunOutcome) => void;
}

/** What the registry learns from one finished call. */
export interface CallOutcome {
  replica: number;
  finishReason: string | null;
  turn: AssistantTurn;
  outputTokens: number;
  promptTokens: number;
  /** The request's message chain (from {@link RunRegistry.resolve}). */
  chain: readonly number[];
}

export class RunRegistry {
  readonly #o: RunRegistryOptions;
  /** Insertion order = least recently active first (a run is re-inserted on activity). */
  readonly #runs = new Map<string, GatewayRun>();
  readonly #continuations = new ContinuationIndex();
  /** Per replica: predicted tokens of the next calls of the runs parked there (they will come back). */
  readonly parkedTokens: number[];
  #retainedBytes = 0;

  constructor(options: RunRegistryOptions) {
    this.#o = options;
    this.parkedTokens = options.schedulers.map(() => 0);
  }

  /** Expected output tokens of the run's next call. */
  static nextOutputTokens(run: GatewayRun): number {
    const e = run.estimate;
    return e.remainingToolRounds >= 1 ? e.outputTokensPerCall : e.finalOutputTokens;
  }

  #predict(run: GatewayRun): void {
    run.estimate = toRunEstimate(
      this.#o.predictor.predict({ ...run.context, toolRoundsDone: run.toolCallsPerRound.length }),
    );
  }

  #unparkLoad(run: GatewayRun): void {
    if (run.parkedCharge === 0 || run.replica === undefined) return;
    this.parkedTokens[run.replica] = Math.max(0, (this.parkedTokens[run.replica] ?? 0) - run.parkedCharge);
    run.parkedCharge = 0;
  }

  get size(): number {
    return this.#runs.size;
  }

  /** Bytes of retained run state counted now (at most `maxRetainedBytes` plus the runs with a call in flight). */
  get retainedBytes(): number {
    return this.#retainedBytes;
  }

  get(runId: string): GatewayRun | undefined {
    return this.#runs.get(runId);
  }

  /** The run of a request (creating it when new), how it was found, and the request's message chain. */
  resolve(
    body: ChatCompletionBody,
    hints: RunHints,
    promptTokens: number,
  ): { run: GatewayRun; source: IdentitySource; chain: number[] } {
    const chain = messageChain(body.messages);
    if (hints.runId !== undefined) {
      const known = this.#runs.get(hints.runId);
      if (known !== undefined) return { run: this.#touch(known), source: "header", chain };
      return { run: this.#create(body, hints, hints.runId, true, promptTokens), source: "header", chain };
    }
    const found = this.#continuations.find(chain);
    const known = found === undefined ? undefined : this.#runs.get(found.runId);
    if (known !== undefined) return { run: this.#touch(known), source: "continuity", chain };
    return { run: this.#create(body, hints, randomUUID(), false, promptTokens), source: "new", chain };
  }

  /** The run's handle in replica `replica`'s scheduler, begun on first use. */
  handleFor(run: GatewayRun, replica: number): RunHandle {
    let handle = run.handles.get(replica);
    if (handle === undefined) {
      const scheduler = this.#o.schedulers[replica];
      if (scheduler === undefined) throw new RangeError(`No replica ${replica}`);
      handle = scheduler.beginRun({
        runId: run.id,
        features: { ...run.estimate, promptTokens: run.context.promptTokens ?? 0 },
        slo: run.slo,
        priorityClass: run.priorityClass,
        ...(run.tenant === undefined ? {} : { tenant: run.tenant }),
      });
      run.handles.set(replica, handle);
    }
    return handle;
  }

  /** A call of the run arrives: a parked run's tool phase is over (its tools' latency is learned). */
  callStarts(run: GatewayRun): void {
    const now = this.#o.now();
    run.lastActivityMs = now;
    run.callsInFlight += 1;
    this.#continuations.delete(run.id);
    if (run.parkedAtMs === undefined) return;
    this.#unparkLoad(run);
    const latency = now - run.parkedAtMs;
    for (const tool of run.parkedTools) this.#o.predictor.learnToolLatency(tool, latency);
    run.toolCallsPerRound.push(run.parkedTools.length);
    run.parkedAtMs = undefined;
    run.parkedTools = [];
    this.#predict(run);
    for (const handle of run.handles.values()) {
      handle.unpark();
      handle.updateEstimate(run.estimate);
    }
  }

  /**
   * A call succeeded: after tool calls the run is parked (and remembered for continuity); after a final
   * answer it ends.
   */
  callSucceeded(run: GatewayRun, outcome: CallOutcome): void {
    run.callsInFlight -= 1;
    run.lastActivityMs = this.#o.now();
    run.replica = outcome.replica;
    run.lastPromptTokens = outcome.promptTokens;
    run.lastOutputTokens = outcome.outputTokens;
    run.outputsPerCall.push(outcome.outputTokens);
    if (run.ended) return;
    const tools = outcome.turn.toolCalls;
    if (outcome.finishReason === "tool_calls" || (tools.length > 0 && outcome.finishReason !== "length")) {
      run.parkedAtMs = run.lastActivityMs;
      run.parkedTools = tools.map((t) => t.name);
      run.parkedCharge = Math.max(1, RunRegistry.nextOutputTokens(run));
      this.parkedTokens[outcome.replica] = (this.parkedTokens[outcome.replica] ?? 0) + run.parkedCharge;
      run.handles
        .get(outcome.replica)
        ?.park({ tools: run.parkedTools, expectedLatencyMs: run.estimate.toolLatencyMs ?? 0 });
      if (!run.explicit) this.#continuations.set(run.id, extendChain(outcome.chain, outcome.turn));
      return;
    }
    this.end(run, "ok");
  }

  /**
   * A call failed (`error`) or its client went away (`abandoned`). A run that no request can reach again is
   * ended at once, and its text dropped: a run found by continuity (its continuation entry was consumed
   * when the call started), or one whose first call this was (a retry starts afresh from its body). A run
   * named by header with earlier calls stays, so the client may retry under the same id, until it ends,
   * idles out or is evicted.
   */
  callFailed(run: GatewayRun, outcome: "error" | "abandoned"): void {
    run.callsInFlight -= 1;
    run.lastActivityMs = this.#o.now();
    if (run.callsInFlight > 0 || run.ended) return;
    if (!run.explicit || run.outputsPerCall.length === 0) this.end(run, outcome);
  }

  /** Ends a run (idempotent): its handles end, the predictor learns a successful run's truth. */
  end(run: GatewayRun, outcome: GatewayRunOutcome): void {
    if (run.ended) return;
    run.ended = true;
    this.#unparkLoad(run);
    if (this.#runs.get(run.id) === run) {
      this.#runs.delete(run.id);
      this.#retainedBytes -= run.retainedBytes;
    }
    this.#continuations.delete(run.id);
    const schedulerOutcome: RunOutcome = outcome === "abandoned" ? "error" : outcome;
    for (const handle of run.handles.values()) handle.end(schedulerOutcome);
    if (outcome === "ok") {
      const rounds = run.toolCallsPerRound.length;
      this.#o.predictor.learnRun(
        { ...run.context, toolRoundsDone: 0 },
        {
          toolRounds: rounds,
          toolCallsPerRound: rounds === 0 ? 0 : run.toolCallsPerRound.reduce((a, b) => a + b, 0) / rounds,
          outputTokensPerCall: run.outputsPerCall.slice(0, -1),
          finalOutputTokens: run.outputsPerCall.at(-1) ?? 0,
        },
      );
    }
    this.#o.onRunEnded?.(run, outcome);
  }

  /** Abandons runs idle past the time-out (none with a call in flight). Returns how many. */
  sweep(): number {
    const now = this.#o.now();
    let n = 0;
    // Least recently active first: stop at the first run still within its time-out.
    for (const run of this.#runs.values()) {
      if (now - run.lastActivityMs <= this.#o.idleTimeoutMs) break;
      if (run.callsInFlight > 0) continue;
      this.end(run, "abandoned");
      n++;
    }
    return n;
  }

  /** Ends every run (the gateway is closing). */
  closeAll(): void {
    for (const run of [...this.#runs.values()]) this.end(run, "abandoned");
  }

  #touch(run: GatewayRun): GatewayRun {
    this.#runs.delete(run.id);
    this.#runs.set(run.id, run);
    return run;
  }

  #create(
    body: ChatCompletionBody,
    hints: RunHints,
    id: string,
    explicit: boolean,
    promptTokens: number,
  ): GatewayRun {
    if (this.#runs.size >= this.#o.maxRuns) {
      for (const oldest of this.#runs.values()) {
        if (oldest.callsInFlight > 0) continue;
        this.end(oldest, "abandoned");
        break;
      }
    }
    const parts = promptParts(body.messages);
    const system = keptText(parts.system);
    const user = keptText(parts.user);
    const run = new GatewayRun({
      id,
      explicit,
      nowMs: this.#o.now(),
      context: {
        systemPrompt: system,
        userPrompt: user,
        tools: (body.tools ?? []).map((t) => ({
          name: t.function.name,
          ...(t.function.description === undefined ? {} : { description: t.function.description }),
          ...(t.function.parameters === undefined ? {} : { parameters: t.function.parameters }),
        })),
        toolRoundsDone: 0,
        promptTokens,
      },
      slo: hints.ttftMs === undefined ? this.#o.slo : { ...this.#o.slo, ttftMs: hints.ttftMs },
      priorityClass: hints.priorityClass ?? "interactive",
      tenant: hints.tenant,
    });
    this.#predict(run);
    run.retainedBytes = retainedBytesOf(run.context);
    this.#runs.set(id, run);
    this.#retainedBytes += run.retainedBytes;
    this.#evictToBound(run);
    return run;
  }

  /** Abandons the least recently active runs without a call in flight until the retained bytes fit. */
  #evictToBound(keep: GatewayRun): void {
    if (this.#retainedBytes <= this.#o.maxRetainedBytes) return;
    for (const run of this.#runs.values()) {
      if (this.#retainedBytes <= this.#o.maxRetainedBytes) return;
      if (run === keep || run.callsInFlight > 0) continue;
      this.end(run, "abandoned");
    }
  }
}
