/**
 * A GGUF v3 writer with no dependency: metadata key/values, tensor infos, aligned tensor data.
 *
 * Layout (ggml's gguf.md): magic "GGUF", version 3, tensor count (u64), metadata count (u64), the metadata,
 * the tensor infos (name, dims innermost first, ggml type, offset into the data section), padding to the
 * alignment, then each tensor's bytes at its offset (each offset a multiple of the alignment). Everything is
 * little-endian. The writer is deterministic: the same calls give the same bytes.
 */

/** GGUF metadata value types (gguf.md). */
enum ValueType {
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
}

/** The ggml tensor types this writer emits. */
export const GGML_TYPE = { F32: 0, F16: 1, Q8_0: 8 } as const;
export type GgmlType = (typeof GGML_TYPE)[keyof typeof GGML_TYPE];

/** A metadata value: the writer needs the GGUF type, so numbers say which they are. */
export type GgufValue =
  | { type: "u32"; value: number }
  | { type: "f32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "string[]"; value: readonly string[] }
  | { type: "f32[]"; value: ArrayLike<number> }
  | { type: "i32[]"; value: ArrayLike<number> };

export interface GgufTensor {
  name: string;
  /** Dimensions, innermost (contiguous) first, as ggml's `ne`. */
  dims: readonly number[];
  type: GgmlType;
  /** The tensor's bytes, already encoded in `type`. */
  data: Uint8Array;
}

/** Default alignment of the data section and of each tensor (`general.alignment`). */
export const GGUF_ALIGNMENT = 32;

/** Appends little-endian values to a growing buffer. */
class ByteSink {
  #buf = new Uint8Array(1 << 16);
  #view = new DataView(this.#buf.buffer);
  length = 0;

  #reserve(bytes: number): void {
    if (this.length + bytes <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.length + bytes) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }
  /** Writes `bytes` bytes at the end with `write` (given the view and the offset). */
  #put(bytes: number, write: (view: DataView, at: number) => void): void {
    this.#reserve(bytes);
    write(this.#view, this.length);
    this.length += bytes;
  }
  u32(v: number): void {
    this.#put(4, (view, at) => view.setUint32(at, v, true));
  }
  i32(v: number): void {
    this.#put(4, (view, at) => view.setInt32(at, v, true));
  }
  u64(v: number): void {
    this.#put(8, (view, at) => view.setBigUint64(at, BigInt(v), true));
  }
  f32(v: number): void {
    this.#put(4, (view, at) => view.setFloat32(at, v, true));
  }
  u8(v: number): void {
    this.#reserve(1);
    this.#buf[this.length++] = v;
  }
  bytes(b: Uint8Array): void {
    this.#reserve(b.length);
    this.#buf.set(b, this.length);
    this.length += b.length;
  }
  string(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u64(b.length);
    this.bytes(b);
  }
  pad(alignment: number): void {
    while (this.length % alignment !== 0) this.u8(0);
  }
  result(): Uint8Array {
    return this.#buf.slice(0, this.length);
  }
}

function writeValue(sink: ByteSink, v: GgufValue): void {
  switch (v.type) {
    case "u32":
      sink.u32(ValueType.UINT32);
      sink.u32(v.value);
      return;
    case "f32":
      sink.u32(ValueType.FLOAT32);
      sink.f32(v.value);
      return;
    case "bool":
      sink.u32(ValueType.BOOL);
      sink.u8(v.value ? 1 : 0);
      return;
    case "string":
      sink.u32(ValueType.STRING);
      sink.string(v.value);
      return;
    case "string[]":
      writeArray(sink, ValueType.STRING, v.value, (s) => sink.string(s));
      return;
    case "f32[]":
      writeArray(sink, ValueType.FLOAT32, v.value, (x) => sink.f32(x));
      return;
    case "i32[]":
      writeArray(sink, ValueType.INT32, v.value, (x) => sink.i32(x));
      return;
  }
}

/** An array value: its element type, its length, then each element. */
function writeArray<T>(
  sink: ByteSink,
  elementType: number,
  items: ArrayLike<T>,
  write: (item: T) => void,
): void {
  sink.u32(ValueType.ARRAY);
  sink.u32(elementType);
  sink.u64(items.length);
  for (let i = 0; i < items.length; i++) write(items[i] as T);
}

/** Serialises a GGUF v3 file (metadata in the given order, tensors in the given order). */
export function writeGguf(
  metadata: ReadonlyMap<string, GgufValue>,
  tensors: readonly GgufTensor[],
): Uint8Array {
  const head = new ByteSink();
  head.u32(0x46554747); // "GGUF" read as a little-endian u32
  head.u32(3);
  head.u64(tensors.length);
  head.u64(metadata.size);
  for (const [key, value] of metadata) {
    head.string(key);
    writeValue(head, value);
  }
  let offset = 0;
  for (const t of tensors) {
    head.string(t.name);
    head.u32(t.dims.length);
    for (const d of t.dims) head.u64(d);
    head.u32(t.type);
    head.u64(offset);
    offset += Math.ceil(t.data.length / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
  }
  head.pad(GGUF_ALIGNMENT);
  const headBytes = head.result();
  const out = new Uint8Array(headBytes.length + offset);
  out.set(headBytes, 0);
  let at = headBytes.length;
  for (const t of tensors) {
    out.set(t.data, at);
    at += Math.ceil(t.data.length / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
  }
  return out;
}
