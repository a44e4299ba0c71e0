/**
 * The engine's chat template, as text for the model's own tokenizer: ChatML-like turns, the tool schemas in
 * the first (system) turn, as the simulator's `renderConversation` places them, so that consecutive calls of
 * an agent share their prompt prefix token for token.
 */
import type { TemplateMessage } from "../script/tokenizer.js";

const turn = (role: string, content: string) => `<|im_start|>${role}\n${content}<|im_end|>\n`;

/** The prompt text of a conversation, ending with the assistant header the model continues from. */
export function renderPromptText(messages: readonly TemplateMessage[], toolsJson?: string): string {
  let out = "";
  let toolsPending = toolsJson !== undefined && toolsJson.length > 0;
  for (const message of messages) {
    if (toolsPending && message.role !== "system") {
      out += turn("system", toolsJson ?? "");
      toolsPending = false;
    }
    const content = toolsPending ? `${message.content}\n${toolsJson}` : message.content;
    if (message.role === "system") toolsPending = false;
    out += turn(message.role, content);
  }
  if (toolsPending) out += turn("system", toolsJson ?? "");
  return `${out}<|im_start|>assistant\n`;
}
