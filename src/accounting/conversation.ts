/**
 * What a client sees of a call before it sends it: the conversation's messages and the bound tools' schemas,
 * measured in characters, and the one estimator of prompt tokens both the virtual bench and the middleware
 * use (characters per token plus chat-template tokens per message). Plain structural types: this module
 * imports no LangChain, so a LangChain `BaseMessage` and the virtual bench's own messages are measured by
 * the same rules.
 */

/** Chat-template tokens around one message (start header, role, end header, end of turn). */
export const TEMPLATE_TOKENS_PER_MESSAGE = 4;

/** Characters per token of the raw estimate before calibration (English prose and JSON average ~4). */
export const DEFAULT_CHARS_PER_TOKEN = 4;

/** Characters charged per tool call besides its name and arguments (the call's id and JSON framing). */
export const TOOL_CALL_OVERHEAD_CHARS = 16;

/** A part of a message's content: text parts count, others (images, ...) do not. */
export interface ObservedContentPart {
  readonly type?: unknown;
  readonly text?: unknown;
}

/** A tool call of an assistant message, as a client holds it (parsed arguments). */
export interface ObservedToolCall {
  readonly name: string;
  readonly args?: unknown;
}

/**
 * A message as the client sends it: a LangChain `BaseMessage` is one (structurally), and so is what the
 * virtual bench builds from a run's script.
 */
export interface ObservedMessage {
  readonly content: string | readonly (string | ObservedContentPart)[];
  readonly tool_calls?: readonly ObservedToolCall[];
}

/** Characters of a message as the server renders it: its text, and each tool call's name and arguments. */
export function messageChars(message: ObservedMessage): number {
  let chars = 0;
  const content = message.content;
  if (typeof content === "string") chars += content.length;
  else {
    for (const part of content) {
      if (typeof part === "string") chars += part.length;
      else if (typeof part.text === "string") chars += part.text.length;
    }
  }
  if (message.tool_calls !== undefined) {
    for (const call of message.tool_calls)
      chars += call.name.length + (JSON.stringify(call.args ?? {})?.length ?? 0) + TOOL_CALL_OVERHEAD_CHARS;
  }
  return chars;
}

/** Characters of a bound tool's schema (`{ name, description, parameters }`) as JSON. */
export function toolChars(schema: unknown): number {
  try {
    return JSON.stringify(schema)?.length ?? 0;
  } catch {
    return 0; // a schema that cannot be serialised cannot be sent either; count nothing
  }
}

/** The size of what one call sends: messages and characters (messages' and tool schemas'). */
export interface ConversationSize {
  readonly messages: number;
  readonly chars: number;
  /**
   * The text of the first message (an agent's system prompt), when it is a string: what the runs of one agent
   * share at the start of every prompt, so the key of what a run's first call finds in the prefix cache.
   */
  readonly head?: string;
}

/** The size of a call that sends `messages` with tools of `toolCharCounts` characters each. */
export function conversationSize(
  messages: Iterable<ObservedMessage>,
  toolCharCounts: Iterable<number> = [],
): ConversationSize {
  let count = 0;
  let chars = 0;
  let head: string | undefined;
  for (const message of messages) {
    if (count === 0 && typeof message.content === "string") head = message.content;
    count++;
    chars += messageChars(message);
  }
  for (const c of toolCharCounts) chars += c;
  return head === undefined ? { messages: count, chars } : { messages: count, chars, head };
}

/** `size` grown by one message (the virtual bench grows its conversations call by call). */
export function withMessage(size: ConversationSize, message: ObservedMessage): ConversationSize {
  const grown = { messages: size.messages + 1, chars: size.chars + messageChars(message) };
  return size.head === undefined ? grown : { ...grown, head: size.head };
}

/**
 * The raw estimate of a call's prompt tokens: characters / `charsPerToken`, plus the chat template's tokens
 * per message and for the generation prompt.
 */
export function rawPromptTokens(size: ConversationSize, charsPerToken = DEFAULT_CHARS_PER_TOKEN): number {
  return Math.ceil(size.chars / charsPerToken) + TEMPLATE_TOKENS_PER_MESSAGE * (size.messages + 1);
}
