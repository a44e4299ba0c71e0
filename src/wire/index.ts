/**
 * The OpenAI wire layer shared by the project's OpenAI-compatible servers (the simulator, the real engine, the
 * gateway): request schemas, the completion writer (SSE chunks and the non-streaming body), SSE splitting,
 * the HTTP listener with its body-size and JSON-depth limits, and JSON error responses. It imports nothing of
 * the scheduler, the predictor or LangChain. Limits: docs/limits.md.
 */
export * from "./body.js";
export * from "./completion-writer.js";
export * from "./errors.js";
export * from "./http.js";
export * from "./schema.js";
export * from "./serve.js";
export * from "./sse.js";
