/**
 * What the simulator (`sim/`) and the llama.cpp engine (`engine/`) both answer from: the tokenizer, the chat
 * template, the scripted model that decides what each call of a run says, and the cursor that walks its plan.
 * Internal to the package (no subpath export); `augserve/sim` re-exports what a user of the simulator needs.
 */
export { PlanCursor } from "./plan-cursor.js";
export {
  type ModelMessage,
  type PlannedToolCall,
  planTextTokens,
  type ReplyPlan,
  ScriptedModel,
  type ScriptedModelOptions,
} from "./scripted-model.js";
export { type ScriptedServer, ScriptedServerShape, scriptedModelOf } from "./server.js";
export { assistantText, templateMessages } from "./template.js";
export { textPieces, textSeed } from "./text.js";
export {
  countTokens,
  renderConversation,
  SPECIAL,
  TEMPLATE_TOKENS_PER_MESSAGE,
  type TemplateMessage,
  tokenize,
  tokenizeInto,
  tokenPieces,
  VOCAB_SIZE,
} from "./tokenizer.js";
export type { ConversationScript, ScriptedRound, ScriptedToolCall } from "./types.js";
