/**
 * Server-sent events as OpenAI streams them: `data: <json>\n\n` per chunk and a final `data: [DONE]\n\n`.
 * Writing is two helpers; reading is {@link SseSplitter}, which cuts a byte stream into whole events without
 * parsing them, so that a proxy forwards each event as it arrives (and a fault injector can stop between two).
 */
import { AugServeError } from "../util/index.js";

/** The terminator event of an OpenAI stream. */
export const SSE_DONE = "data: [DONE]\n\n";

/** One `data:` event carrying `data` (a JSON text without newlines). */
export function sseEvent(data: string): string {
  return `data: ${data}\n\n`;
}

const LF = 0x0a;
const CR = 0x0d;

/** Default largest SSE event {@link SseSplitter} holds while waiting for its end, bytes (1 MiB). */
export const DEFAULT_MAX_SSE_EVENT_BYTES = 1024 * 1024;

/** An SSE event grew past the splitter's cap before it ended; the stream should be failed. */
export class SseEventTooLargeError extends AugServeError {
  static override readonly code = "WIRE_SSE_EVENT_TOO_LARGE";
  override readonly name = "SseEventTooLargeError";
  readonly limit: number;
  constructor(limit: number) {
    super(`an SSE event is larger than ${limit} bytes`);
    this.limit = limit;
  }
}

/**
 * Splits SSE bytes into events. `push(bytes)` returns the events completed by `bytes` (each with its
 * terminating blank line, bytes intact); an incomplete event is held until its end arrives. Events end at a
 * blank line: `\n\n`, `\r\n\r\n` or `\r\r` (the SSE spec's line endings).
 *
 * Linear in the input: held bytes are kept as the chunks that brought them (never re-copied on each push)
 * and never scanned twice; an event that spans chunks is copied once, when it completes. Events within one
 * chunk are views of it (no copy). An event larger than `maxEventBytes` throws {@link SseEventTooLargeError}
 * as soon as its held bytes pass the cap (memory stays bounded by the cap plus one chunk).
 */
export class SseSplitter {
  /** Chunks (or their tails) of the event not yet ended, in order. */
  #held: Buffer[] = [];
  #heldBytes = 0;
  readonly #maxEventBytes: number;

  constructor(maxEventBytes = DEFAULT_MAX_SSE_EVENT_BYTES) {
    if (!(maxEventBytes >= 1)) throw new RangeError(`Expected maxEventBytes >= 1, got ${maxEventBytes}`);
    this.#maxEventBytes = maxEventBytes;
  }

  push(bytes: Uint8Array): Buffer[] {
    const data = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const events: Buffer[] = [];
    let start = 0;
    if (this.#heldBytes > 0) {
      // An event end may begin in the last 3 held bytes and finish in `data` (a blank line is <= 4 bytes).
      const end = this.#endAcrossBoundary(data);
      const at = end >= 0 ? end : firstEventEnd(data, 0);
      if (at < 0) {
        this.#hold(data);
        return events;
      }
      this.#held.push(data.subarray(0, at));
      events.push(Buffer.concat(this.#held, this.#heldBytes + at));
      this.#held = [];
      this.#heldBytes = 0;
      start = at;
    }
    for (;;) {
      const end = firstEventEnd(data, start);
      if (end < 0) break;
      events.push(data.subarray(start, end));
      start = end;
    }
    if (start < data.length) this.#hold(data.subarray(start));
    return events;
  }

  /** Bytes of an event not yet terminated. */
  get pending(): number {
    return this.#heldBytes;
  }

  #hold(part: Buffer): void {
    this.#heldBytes += part.length;
    if (this.#heldBytes > this.#maxEventBytes) {
      this.#held = [];
      this.#heldBytes = 0;
      throw new SseEventTooLargeError(this.#maxEventBytes);
    }
    this.#held.push(part);
  }

  /** Offset in `data` just after a blank line that starts in the held tail, or -1. */
  #endAcrossBoundary(data: Buffer): number {
    const tail: number[] = [];
    for (let i = this.#held.length - 1; i >= 0 && tail.length < 3; i--) {
      const part = this.#held[i] as Buffer;
      for (let j = part.length - 1; j >= 0 && tail.length < 3; j--) tail.unshift(part[j] as number);
    }
    const joined = Buffer.from([...tail, ...data.subarray(0, 3)]);
    for (let i = 0; i < tail.length; i++) {
      const end = blankLineEnd(joined, i);
      if (end > tail.length) return end - tail.length;
    }
    return -1;
  }
}

/**
 * The offset just after the first blank line that starts at or after `from` and ends within `data`, or -1.
 * Jumps between line breaks with `indexOf` (native, memchr-fast), so a long line costs no JS loop per byte.
 */
function firstEventEnd(data: Buffer, from: number): number {
  let lf = data.indexOf(LF, from);
  let cr = data.indexOf(CR, from);
  while (lf >= 0 || cr >= 0) {
    const i = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
    const end = blankLineEnd(data, i);
    if (end >= 0) return end;
    if (i === lf) lf = data.indexOf(LF, i + 1);
    if (i === cr) cr = data.indexOf(CR, i + 1);
  }
  return -1;
}

/** If a blank line (event end) starts at `i`, the offset just after it; else -1. */
function blankLineEnd(data: Buffer, i: number): number {
  const a = data[i];
  if (a === LF) return data[i + 1] === LF ? i + 2 : -1;
  if (a !== CR) return -1;
  if (data[i + 1] === LF) return data[i + 2] === CR && data[i + 3] === LF ? i + 4 : -1;
  return data[i + 1] === CR ? i + 2 : -1;
}

/** The `data:` payload of one event (lines joined with `\n`), or `undefined` when it has none. */
export function sseData(event: Uint8Array): string | undefined {
  const lines = Buffer.from(event)
    .toString("utf8")
    .split(/\r\n|\r|\n/);
  const data: string[] = [];
  for (const line of lines) {
    if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
  }
  return data.length > 0 ? data.join("\n") : undefined;
}
