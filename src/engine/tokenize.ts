/**
 * The engine's tokenization entry: prompt text -> tokens, with the work on the event loop bounded.
 *
 * llama.cpp's tokenizers are native and synchronous, and some inputs cost far more than their length: on the
 * SPM vocabulary, byte-fallback text (combining marks, CJK) grows super-linearly (measured on the tiny model:
 * 40k combining marks 154 ms, 80k 348 ms; 80k CJK characters 639 ms). A request that tokenizes a whole
 * 4 MiB body on the event loop freezes every other request and `/health` for minutes. So, in order:
 *
 * 1. **Bytes first.** Each token of the vocabulary spells at most `maxTokenBytes` bytes of input (the longest
 *    token text of the GGUF vocabulary), so a text of B bytes has at least ceil(B / maxTokenBytes) tokens. A
 *    prompt that cannot fit the context by that bound is refused before any tokenizing.
 * 2. **Small texts inline**: up to {@link INLINE_TOKENIZE_BYTES} bytes (measured worst case: 6 ms median, for
 *    8 KiB of combining marks; 1-2 ms for CJK or emoji).
 * 3. **Larger texts in a worker thread** holding a vocabulary-only copy of the model (started on first need):
 *    the event loop stays free while it works. llama.cpp's own server tokenizes in its HTTP threads, away
 *    from its main loop, for the same reason. Both paths run the same native tokenizer on the same
 *    vocabulary, so they give the same tokens (a test checks it).
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { EngineRequestError } from "./errors.js";
import type { LlamaModel, Token } from "./llama.js";

/** How long `close()` waits for the tokenizer worker to dispose of its model and end, ms. */
const TOKENIZER_CLOSE_MS = 5_000;

/** Texts up to this many UTF-8 bytes are tokenized on the event loop; larger ones in the worker. */
export const INLINE_TOKENIZE_BYTES = 8 * 1024;

/** An unknown character is one token of up to 4 bytes, whatever the vocabulary's longest text. */
const MIN_TOKEN_BYTES = 4;

/**
 * The most input bytes one token can stand for, from the vocabulary's token texts (`tokenizer.ggml.tokens`).
 * A token's stored text is never shorter than the input it covers in the SPM (space written as the 3-byte
 * `▁`, bytes as `<0xAB>`) and byte-level BPE (each byte one character of 1-2 bytes) vocabularies. Other
 * vocabularies normalise their input (WPM strips accents, UGM applies a character map), which can make a
 * token cover more input than its text: there the bound is off (`Infinity`), as it is when the vocabulary
 * is not in the file's metadata.
 */
export function maxTokenBytesOf(model: Pick<LlamaModel, "fileInfo" | "vocabularyType">): number {
  if (model.vocabularyType !== "spm" && model.vocabularyType !== "bpe") return Number.POSITIVE_INFINITY;
  const tokenizer = (model.fileInfo.metadata as { tokenizer?: { ggml?: { tokens?: unknown } } }).tokenizer;
  const tokens = tokenizer?.ggml?.tokens;
  if (!Array.isArray(tokens) || tokens.length === 0) return Number.POSITIVE_INFINITY;
  let longest = MIN_TOKEN_BYTES;
  for (const text of tokens) {
    if (typeof text !== "string") return Number.POSITIVE_INFINITY;
    longest = Math.max(longest, Buffer.byteLength(text, "utf8"));
  }
  return longest;
}

// The worker is plain JavaScript evaluated from a string: it runs the same under tsx, vitest and the built
// package, with no file of its own to locate. It loads node-llama-cpp from the URL the main thread resolved.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
(async () => {
  const { getLlama, LlamaLogLevel } = await import(workerData.moduleUrl);
  const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, maxThreads: 1,
    logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: workerData.modelPath, vocabOnly: true });
  parentPort.on("message", async ({ id, text, close }) => {
    if (close) {
      // Disposing before the thread ends: a native call cut by terminate() aborts the whole process.
      await model.dispose().catch(() => {});
      await llama.dispose().catch(() => {});
      parentPort.close();
      return;
    }
    try {
      const tokens = Uint32Array.from(model.tokenize(text));
      parentPort.postMessage({ id, tokens }, [tokens.buffer]);
    } catch (error) {
      parentPort.postMessage({ id, error: String((error && error.message) || error) });
    }
  });
  parentPort.postMessage({ ready: true });
})().catch((error) => parentPort.postMessage({ fatal: String((error && error.stack) || error) }));
`;

type WorkerReply =
  | { ready: true }
  | { fatal: string }
  | { id: number; tokens: Uint32Array }
  | { id: number; error: string };

interface Pending {
  resolve(tokens: Token[]): void;
  reject(error: Error): void;
}

/** Tokenizes prompts for one loaded model (see the module comment for the order of the checks). */
export class PromptTokenizer {
  /** The most input bytes one token stands for (`Infinity`: no byte bound for this vocabulary). */
  readonly maxTokenBytes: number;
  readonly #model: LlamaModel;
  readonly #modelPath: string;
  readonly #inlineBytes: number;
  #worker: Worker | undefined;
  #ready: Promise<void> | undefined;
  #pending = new Map<number, Pending>();
  #nextId = 0;
  #closed = false;

  constructor(model: LlamaModel, modelPath: string, options: { inlineBytes?: number } = {}) {
    this.#model = model;
    this.#modelPath = modelPath;
    this.#inlineBytes = options.inlineBytes ?? INLINE_TOKENIZE_BYTES;
    this.maxTokenBytes = maxTokenBytesOf(model);
  }

  /**
   * The tokens of `text` (BOS first when the model has one). Throws `EngineRequestError` when the prompt
   * does not leave room for one output token in `contextSize`, before tokenizing when its bytes already say so.
   */
  async tokenizePrompt(text: string, contextSize: number): Promise<Token[]> {
    const bos = this.#model.tokens.bos;
    const extra = bos === null ? 0 : 1;
    const bytes = Buffer.byteLength(text, "utf8");
    const atLeast = extra + Math.ceil(bytes / this.maxTokenBytes);
    if (atLeast >= contextSize) throw new EngineRequestError(atLeast, contextSize, bytes);
    const tokens = bytes <= this.#inlineBytes ? this.#model.tokenize(text) : await this.#inWorker(text);
    const prompt = bos === null ? tokens : [bos, ...tokens];
    if (prompt.length >= contextSize) throw new EngineRequestError(prompt.length, contextSize);
    return prompt;
  }

  /**
   * Stops the worker; prompts it still had are rejected. The worker is asked to dispose of its model and end
   * (terminating a thread inside a native llama.cpp call aborts the whole process with a `Napi::Error`); it is
   * terminated only if it has not ended within {@link TOKENIZER_CLOSE_MS}.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    const ready = this.#ready;
    this.#worker = undefined;
    this.#failAll(new Error("engine tokenizer closed"));
    if (worker === undefined) return;
    const exited = new Promise<boolean>((resolve) => worker.once("exit", () => resolve(false)));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), TOKENIZER_CLOSE_MS);
    });
    // A worker still loading its model gets the message once it is ready (its port would queue it anyway).
    if (ready !== undefined) await Promise.race([ready.catch(() => {}), timedOut]);
    worker.postMessage({ close: true });
    const late = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (late) await worker.terminate();
  }

  async #inWorker(text: string): Promise<Token[]> {
    if (this.#closed) throw new Error("engine tokenizer closed");
    await this.#start();
    const worker = this.#worker;
    if (worker === undefined) throw new Error("engine tokenizer closed");
    const id = this.#nextId++;
    return new Promise<Token[]>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, text });
    });
  }

  #start(): Promise<void> {
    if (this.#ready !== undefined) return this.#ready;
    const moduleUrl = pathToFileURL(createRequire(import.meta.url).resolve("node-llama-cpp")).href;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { moduleUrl, modelPath: this.#modelPath },
    });
    worker.unref();
    this.#worker = worker;
    this.#ready = new Promise<void>((resolve, reject) => {
      worker.on("message", (reply: WorkerReply) => {
        if ("ready" in reply) return resolve();
        if ("fatal" in reply) {
          return this.#crashed(worker, new Error(`engine tokenizer worker: ${reply.fatal}`), reject);
        }
        const pending = this.#pending.get(reply.id);
        if (pending === undefined) return;
        this.#pending.delete(reply.id);
        if ("error" in reply) pending.reject(new Error(`tokenize: ${reply.error}`));
        else pending.resolve(Array.from(reply.tokens) as Token[]);
      });
      worker.on("error", (error) => this.#crashed(worker, error, reject));
      worker.on("exit", () => this.#crashed(worker, new Error("engine tokenizer worker exited"), reject));
    });
    return this.#ready;
  }

  /** The worker is gone: fail what it held; the next large prompt starts a new one. */
  #crashed(worker: Worker, error: Error, rejectStart: (error: Error) => void): void {
    rejectStart(error);
    if (this.#worker !== worker) return;
    void worker.terminate();
    this.#worker = undefined;
    this.#ready = undefined;
    this.#failAll(error);
  }

  #failAll(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}
