/**
 * Shared by the compatibility matrix (compat.int.test.ts): the simulator, a fresh AugServe on a real
 * scheduler, and the checks every case makes (run count and outcomes, nothing left in flight or active).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { BaseMessage } from "@langchain/core/messages";
import { ChatOpenAI } from "@langchain/openai";
import { expect } from "vitest";
import {
  type AugServe,
  type AugServeOptions,
  createAugServe,
  createScheduler,
} from "../../src/langchain/index.js";
import type { SchedulerApi } from "../../src/scheduler/types.js";
import type { ConversationScript, ScriptedToolCall } from "../../src/script/types.js";

/** A script of `rounds` tool rounds calling `calls` (one call per entry), then a final answer. */
export function script(
  user: string,
  rounds: ScriptedToolCall[][],
  finalOutputTokens = 12,
): ConversationScript {
  return {
    firstUserMessage: user,
    rounds: rounds.map((toolCalls) => ({ outputTokens: 6, toolCalls })),
    finalOutputTokens,
  };
}

/** A ChatOpenAI against `baseURL` (the simulator unless told), without retries. */
export function chat(
  baseURL: string,
  fields: Partial<ConstructorParameters<typeof ChatOpenAI>[0] & object> = {},
) {
  return new ChatOpenAI({
    model: "sim",
    apiKey: "sim",
    maxRetries: 0,
    configuration: { baseURL },
    ...fields,
  });
}

/** An AugServe on its own real scheduler (so `activeRuns` is real), without metrics or warnings. */
export function freshAug(options: AugServeOptions = {}): { aug: AugServe; scheduler: SchedulerApi } {
  const scheduler = options.scheduler ?? createScheduler({ policy: "augserve" });
  const aug = createAugServe({ registry: null, logger: { warn: () => {} }, ...options, scheduler });
  return { aug, scheduler };
}

/** What a message history says (ids and timings left out): equal with and without the middleware. */
export function shape(messages: readonly BaseMessage[]) {
  return messages.map((m) => [
    m.getType(),
    m.content,
    ((m as { tool_calls?: { name: string; args: unknown }[] }).tool_calls ?? []).map((c) => [c.name, c.args]),
    (m as { status?: string }).status,
  ]);
}

/** The run outcomes `aug` recorded, sorted, and that nothing is queued, in flight or active afterwards. */
export function expectRuns(aug: AugServe, scheduler: SchedulerApi, outcomes: string[]): void {
  expect(
    aug
      .records()
      .map((r) => r.outcome)
      .sort(),
  ).toEqual([...outcomes].sort());
  expectClean(aug, scheduler);
}

export function expectClean(aug: AugServe, scheduler: SchedulerApi): void {
  const snap = scheduler.snapshot();
  expect({
    queued: snap.queued,
    inFlightTokens: snap.inFlightTokens,
    inFlightCalls: snap.inFlightCalls,
    activeRuns: snap.activeRuns,
    parkedRuns: snap.parkedRuns,
    tracked: aug.activeRuns,
  }).toEqual({ queued: 0, inFlightTokens: 0, inFlightCalls: 0, activeRuns: 0, parkedRuns: 0, tracked: 0 });
}

/**
 * Lets `runIdleTimeoutMs` pass (the sweep timer runs every quarter of it) and sweeps once more: runs whose
 * invocation stopped out of the middleware's sight have ended by then.
 */
export async function sweepAfterIdle(aug: AugServe): Promise<void> {
  await sleep(aug.options.runIdleTimeoutMs * 2);
  aug.sweep();
}

/** The error an invocation rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the invocation to fail");
}
