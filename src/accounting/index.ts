/** Token accounting of calls from what a client observes, shared by the virtual bench and the middleware. */
export { TokenCalibrator } from "./calibrator.js";
export {
  CallAccounting,
  type CallAccountingOptions,
  callSpec,
  type PlannedCall,
  type ServerUsage,
} from "./call-accounting.js";
export {
  type ConversationSize,
  conversationSize,
  DEFAULT_CHARS_PER_TOKEN,
  messageChars,
  type ObservedContentPart,
  type ObservedMessage,
  type ObservedToolCall,
  rawPromptTokens,
  TEMPLATE_TOKENS_PER_MESSAGE,
  TOOL_CALL_OVERHEAD_CHARS,
  toolChars,
  withMessage,
} from "./conversation.js";
