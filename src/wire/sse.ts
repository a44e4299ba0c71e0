/**
 * Server-sent events as OpenAI streams them: `data: <json>\n\n` per chunk and a final `data: [DONE]\n\n`.
 * Writing is two helpers; reading is {@link SseSplitter}, which cuts a byte stream into whole events without
 * parsing them, so that a proxy forwards each event as it arrives (and a fault injector can stop between two).
 */

/** The terminator event of an OpenAI stream. */
export const SSE_DONE = "data: [DONE]\n\n";

/** One `data:` event carrying `data` (a JSON text without newlines). */
export function sseEvent(data: string): string {
  return `data: ${data}\n\n`;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits SSE bytes into events. `push(bytes)` returns the events completed by `bytes` (each with its
 * terminating blank line, bytes intact); an incomplete event is held until its end arrives. Events end at a
 * blank line: `\n\n`, `\r\n\r\n` or `\r\r` (the SSE spec's line endings).
 */
export class SseSplitter {
  #held: Buffer = Buffer.alloc(0);

  push(bytes: Uint8Array): Buffer[] {
    // Bytes already scanned without finding an event end are not scanned again (a blank line is at most
    // 4 bytes, so the last 3 held bytes may begin one).
    const from = Math.max(0, this.#held.length - 3);
    // No copy when nothing is held: the events are views of the bytes given.
    const data =
      this.#held.length === 0
        ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
        : Buffer.concat([this.#held, bytes]);
    const events: Buffer[] = [];
    let start = 0;
    for (let i = from; i < data.length; i++) {
      const end = blankLineEnd(data, i);
      if (end < 0) continue;
      events.push(data.subarray(start, end));
      start = end;
      i = end - 1;
    }
    this.#held = data.subarray(start);
    return events;
  }

  /** Bytes of an event not yet terminated. */
  get pending(): number {
    return this.#held.length;
  }
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
