/**
 * The gateway's scheduling, in virtual time, over N replicas: one scheduler (one budget) per replica, one
 * shared Stage I predictor, and the gateway's pure placement module (`Placer`, `PrefixIndex`) choosing each
 * call's replica from what the gateway would observe: each scheduler's in-flight and queued tokens, the
 * parked runs' predicted next calls, each replica's stats (as stale as /metrics), and prefix blocks of the
 * prompts it sent. A run keeps one scheduler handle per replica it used, as the gateway's run registry does.
 */
import { type PlacementPolicy, Placer, type ReplicaLoad } from "../../gateway/placement/placer.js";
import { PrefixIndex, TOKEN_BLOCK_TOKENS, tokenBlockHashes } from "../../gateway/placement/prefix-index.js";
import { toRunEstimate } from "../../predict/estimate.js";
import type { PredictionContext, Predictor } from "../../predict/types.js";
import type {
  CallTicket,
  RunEstimate,
  RunHandle,
  SchedulerApi,
  ServerSignals,
  Slo,
} from "../../scheduler/types.js";
import type { GeneratedRun } from "../../workload/types.js";
import { runStartContext, scriptedObservation, truthOf } from "../virtual/dispatch.js";

/** A replica's prefix index: ~its KV capacity in blocks (a gateway is told or learns nothing finer). */
const PREFIX_CAPACITY_BLOCKS = 16_384;

export interface FleetCall {
  readonly index: number;
  readonly prompt: readonly number[];
  /** Scripted output tokens (read only by the oracle). */
  readonly outputTokens: number;
  replica: number;
  ticket?: CallTicket;
}

export interface FleetRun {
  readonly run: GeneratedRun;
  handles: Map<number, RunHandle>;
  replica: number | undefined;
  context: PredictionContext;
  estimate: RunEstimate;
  rounds: number;
  outputs: number[];
  /** Prompt + output tokens of the previous call (what its replica has cached). */
  cachedHint: number;
  parkedCharge: number;
}

export interface FleetOptions {
  schedulers: readonly SchedulerApi[];
  predictor: Predictor;
  placement: PlacementPolicy;
  slo: Slo;
  oracle: boolean;
  /** The call may go to replica `replica`'s engine now. */
  send(replica: number, call: FleetCall, priority: number): void;
  onReject(run: FleetRun, error: Error): void;
}

export class Fleet {
  readonly #o: FleetOptions;
  readonly #placer: Placer;
  readonly #prefix: PrefixIndex[];
  readonly #signals: ServerSignals[];
  readonly queuedTokens: number[];
  readonly parkedTokens: number[];
  /** Calls placed per replica, by reason. */
  readonly decisions = new Map<string, number>();

  constructor(o: FleetOptions) {
    this.#o = o;
    this.#placer = new Placer({ policy: o.placement });
    this.#prefix = o.schedulers.map(() => new PrefixIndex(PREFIX_CAPACITY_BLOCKS));
    this.#signals = o.schedulers.map(() => ({}));
    this.queuedTokens = o.schedulers.map(() => 0);
    this.parkedTokens = o.schedulers.map(() => 0);
  }

  begin(run: GeneratedRun): FleetRun {
    const context = runStartContext(run, run.promptTokens);
    return {
      run,
      handles: new Map(),
      replica: undefined,
      context,
      estimate: toRunEstimate(this.#o.predictor.predict(context)),
      rounds: 0,
      outputs: [],
      cachedHint: 0,
      parkedCharge: 0,
    };
  }

  #nextOutput(run: FleetRun): number {
    const e = run.estimate;
    return e.remainingToolRounds >= 1 ? e.outputTokensPerCall : e.finalOutputTokens;
  }

  #handle(run: FleetRun, replica: number): RunHandle {
    let handle = run.handles.get(replica);
    if (handle === undefined) {
      const r = run.run;
      handle = (this.#o.schedulers[replica] as SchedulerApi).beginRun({
        runId: `${r.id}@${replica}`,
        features: {
          ...run.estimate,
          promptTokens: r.promptTokens,
          ...(this.#o.oracle ? { truth: truthOf(r) } : {}),
        },
        slo: this.#o.slo,
      });
      run.handles.set(replica, handle);
    }
    return handle;
  }

  /** Places a call and queues it in the chosen replica's scheduler. */
  submit(run: FleetRun, call: FleetCall): void {
    const blocks = tokenBlockHashes(call.prompt);
    const loads: ReplicaLoad[] = this.#o.schedulers.map((s, i) => {
      const snap = s.snapshot();
      const sig = this.#signals[i] as ServerSignals;
      return {
        healthy: true,
        inFlightTokens: snap.inFlightTokens,
        queuedTokens: this.queuedTokens[i] as number,
        parkedTokens: this.parkedTokens[i] as number,
        budgetTokens: snap.budgetTokens,
        ...(sig.kvCacheUsage === undefined ? {} : { kvCacheUsage: sig.kvCacheUsage }),
        ...(sig.waiting === undefined ? {} : { serverWaiting: sig.waiting }),
        ...(sig.running === undefined ? {} : { serverRunning: sig.running }),
      };
    });
    const matched = this.#prefix.map((p) => p.match(blocks));
    const tokens = call.prompt.length + this.#nextOutput(run);
    const decision = this.#placer.place(
      {
        ...(run.replica === undefined ? {} : { affinity: run.replica }),
        matchedBlocks: matched,
        totalBlocks: blocks.length,
        key: blocks[0] ?? 0,
        tokens,
      },
      loads,
    );
    const replica = decision?.replica ?? 0;
    const reason = decision?.reason ?? "none";
    this.decisions.set(reason, (this.decisions.get(reason) ?? 0) + 1);
    call.replica = replica;
    const cached =
      run.replica === replica && call.index > 0
        ? run.cachedHint
        : (matched[replica] ?? 0) * TOKEN_BLOCK_TOKENS;
    const cachedPromptTokens = Math.min(call.prompt.length, cached);
    const charge = call.prompt.length - cachedPromptTokens + this.#nextOutput(run);
    this.queuedTokens[replica] = (this.queuedTokens[replica] as number) + charge;
    let queued = true;
    const dequeue = () => {
      if (!queued) return;
      queued = false;
      this.queuedTokens[replica] = (this.queuedTokens[replica] as number) - charge;
    };
    this.#handle(run, replica).submit(
      {
        promptTokens: call.prompt.length,
        cachedPromptTokens,
        ...(this.#o.oracle ? { expectedOutputTokens: call.outputTokens } : {}),
      },
      {
        onAdmit: (ticket) => {
          dequeue();
          call.ticket = ticket;
          this.#prefix[replica]?.insert(blocks);
          this.#o.send(replica, call, ticket.priority);
        },
        onReject: (error) => {
          dequeue();
          this.#o.onReject(run, error);
        },
      },
    );
  }

  finished(run: FleetRun, call: FleetCall, outputTokens: number): void {
    run.outputs.push(outputTokens);
    run.replica = call.replica;
    run.cachedHint = call.prompt.length + outputTokens;
    call.ticket?.complete({ outputTokens, promptTokens: call.prompt.length });
  }

  park(run: FleetRun, tools: string[]): void {
    const replica = run.replica;
    if (replica === undefined) return;
    run.parkedCharge = Math.max(1, this.#nextOutput(run));
    this.parkedTokens[replica] = (this.parkedTokens[replica] as number) + run.parkedCharge;
    run.handles.get(replica)?.park({ tools, expectedLatencyMs: run.estimate.toolLatencyMs ?? 0 });
  }

  #unparkLoad(run: FleetRun): void {
    if (run.replica === undefined || run.parkedCharge === 0) return;
    this.parkedTokens[run.replica] = Math.max(
      0,
      (this.parkedTokens[run.replica] as number) - run.parkedCharge,
    );
    run.parkedCharge = 0;
  }

  unpark(run: FleetRun, latencies: ReadonlyArray<{ tool: string; latencyMs: number }>): void {
    this.#unparkLoad(run);
    for (const { tool, latencyMs } of latencies) this.#o.predictor.learnToolLatency(tool, latencyMs);
    run.rounds += 1;
    run.context = { ...run.context, toolRoundsDone: run.rounds };
    run.estimate = toRunEstimate(this.#o.predictor.predict(run.context));
    for (const handle of run.handles.values()) {
      handle.unpark();
      handle.updateEstimate(run.estimate);
    }
  }

  end(run: FleetRun, outcome: "ok" | "error"): void {
    this.#unparkLoad(run);
    for (const handle of run.handles.values()) handle.end(outcome);
    if (outcome !== "ok") return;
    this.#o.predictor.learnRun(
      { ...run.context, toolRoundsDone: 0 },
      scriptedObservation(run.run, run.outputs),
    );
  }

  observe(replica: number, signals: ServerSignals): void {
    this.#signals[replica] = signals;
    this.#o.schedulers[replica]?.observe(signals);
  }
}
