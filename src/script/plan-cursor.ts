/**
 * Streams a reply plan of the simulated model as OpenAI delta objects, a given number of tokens at a time.
 */
import type { ReplyPlan } from "./scripted-model.js";

/** Walks a plan's tokens: text pieces, then each tool call's argument pieces, as OpenAI delta objects. */
export class PlanCursor {
  #plan: ReplyPlan;
  #at = 0;
  constructor(plan: ReplyPlan) {
    this.#plan = plan;
  }

  /** The deltas carrying the next `tokens` tokens. */
  advance(tokens: number): unknown[] {
    const deltas: unknown[] = [];
    const text = this.#plan.text;
    let left = tokens;
    if (this.#at < text.length && left > 0) {
      const take = Math.min(left, text.length - this.#at);
      deltas.push({ content: text.slice(this.#at, this.#at + take).join("") });
      this.#at += take;
      left -= take;
    }
    let base = text.length;
    for (let index = 0; index < this.#plan.toolCalls.length && left > 0; index++) {
      const call = this.#plan.toolCalls[index] as ReplyPlan["toolCalls"][number];
      const offset = this.#at - base;
      base += call.pieces.length;
      if (offset >= call.pieces.length) continue;
      if (offset === 0) {
        deltas.push({
          tool_calls: [
            { index, id: call.id, type: "function", function: { name: call.name, arguments: "" } },
          ],
        });
      }
      const take = Math.min(left, call.pieces.length - offset);
      deltas.push({
        tool_calls: [{ index, function: { arguments: call.pieces.slice(offset, offset + take).join("") } }],
      });
      this.#at += take;
      left -= take;
    }
    return deltas;
  }
}
