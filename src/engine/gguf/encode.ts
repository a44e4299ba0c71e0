/**
 * Encoders of f32 values into the ggml tensor types the generator writes: f32, f16 and q8_0.
 *
 * q8_0 (ggml-common.h `block_q8_0`): blocks of 32 values, each an f16 scale `d = max|x| / 127` followed by
 * 32 signed bytes `round(x / d)`: 34 bytes per 32 values.
 */
import { GGML_TYPE, type GgmlType } from "./writer.js";

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** IEEE half-precision bits of `x`, rounded to nearest even (as ggml's `GGML_FP32_TO_FP16`). */
export function toHalfBits(x: number): number {
  scratch[0] = x;
  const bits = scratchBits[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero).
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
  return sign | half;
}

/** Bytes of `count` values of `type` (q8_0 needs `count` to be a multiple of 32). */
export function encodedSize(type: GgmlType, count: number): number {
  if (type === GGML_TYPE.F32) return count * 4;
  if (type === GGML_TYPE.F16) return count * 2;
  if (count % 32 !== 0) throw new RangeError(`Expected a multiple of 32 values for q8_0, got ${count}`);
  return (count / 32) * 34;
}

/** Encodes `values` as `type`. */
export function encodeTensor(values: Float32Array, type: GgmlType): Uint8Array {
  const out = new Uint8Array(encodedSize(type, values.length));
  const view = new DataView(out.buffer);
  if (type === GGML_TYPE.F32) {
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] as number, true);
    return out;
  }
  if (type === GGML_TYPE.F16) {
    for (let i = 0; i < values.length; i++) view.setUint16(i * 2, toHalfBits(values[i] as number), true);
    return out;
  }
  for (let block = 0; block < values.length / 32; block++) {
    const base = block * 32;
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(values[base + j] as number));
    const d = amax / 127;
    const inverse = d === 0 ? 0 : 1 / d;
    const at = block * 34;
    view.setUint16(at, toHalfBits(d), true);
    for (let j = 0; j < 32; j++) view.setInt8(at + 2 + j, Math.round((values[base + j] as number) * inverse));
  }
  return out;
}
