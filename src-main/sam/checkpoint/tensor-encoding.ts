// Tensor bytes: element sizes of stored dtypes, decoding them (with strides) to float32 and encoding float32 for writers.
import { MaskLoopError } from '../../errors.js';
import type { StoredDType } from './state-dict.js';

/** A float32 tensor in C order: `data.length` equals the product of `shape`. */
export interface Float32Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** The stored dtypes that convert to float32. */
export type FloatDType = 'float32' | 'float16' | 'bfloat16' | 'float64';

/** The dtypes MaskLoop's writers can store float32 values as. */
export type WritableDType = 'float32' | 'float16' | 'bfloat16';

export const BYTES_PER_ELEMENT: Readonly<Record<StoredDType, number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  uint8: 1,
  bool: 1,
};

export function isFloatDType(dtype: StoredDType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'float16' || dtype === 'bfloat16' || dtype === 'float64';
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((count, size) => count * size, 1);
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let dim = shape.length - 1; dim >= 0; dim--) {
    strides[dim] = stride;
    stride *= shape[dim];
  }
  return strides;
}

/** True when the view reads its elements in storage order without gaps (size-1 dims may have any stride, as in torch). */
export function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let dim = shape.length - 1; dim >= 0; dim--) {
    if (shape[dim] !== 1 && stride[dim] !== expected) return false;
    expected *= shape[dim];
  }
  return true;
}

/** Number of storage elements a view spans, from its first element to its last one inclusive (strides are >= 0). */
export function viewSpan(shape: readonly number[], stride: readonly number[]): number {
  if (elementCount(shape) === 0) return 0;
  return shape.reduce((last, size, dim) => last + (size - 1) * stride[dim], 0) + 1;
}

/** Reverses the bytes of every element in place: big-endian storage becomes little-endian. */
export function swapByteOrder(bytes: Uint8Array, elementSize: number): void {
  for (let start = 0; start + elementSize <= bytes.length; start += elementSize) {
    bytes.subarray(start, start + elementSize).reverse();
  }
}

/** in: consecutive little-endian `dtype` elements; out: float32 values (a view on `bytes` for aligned float32). */
export function decodeToFloat32(bytes: Uint8Array, dtype: FloatDType): Float32Array {
  const elementSize = BYTES_PER_ELEMENT[dtype];
  const aligned = bytes.byteOffset % elementSize === 0 ? bytes : bytes.slice();
  const count = Math.floor(aligned.length / elementSize);
  switch (dtype) {
    case 'float32':
      return new Float32Array(aligned.buffer, aligned.byteOffset, count);
    case 'float64':
      return Float32Array.from(new Float64Array(aligned.buffer, aligned.byteOffset, count));
    case 'float16': {
      const halves = new Uint16Array(aligned.buffer, aligned.byteOffset, count);
      const table = float16Table();
      const values = new Float32Array(count);
      for (let i = 0; i < count; i++) values[i] = table[halves[i]];
      return values;
    }
    case 'bfloat16': {
      const halves = new Uint16Array(aligned.buffer, aligned.byteOffset, count);
      const bits = new Uint32Array(count);
      for (let i = 0; i < count; i++) bits[i] = halves[i] << 16;
      return new Float32Array(bits.buffer);
    }
  }
}

/** Copies a strided view (element strides, first element at `offset`) of `source` into a new C-order array. */
export function gatherStrided(
  source: Float32Array,
  shape: readonly number[],
  stride: readonly number[],
  offset: number,
): Float32Array {
  const values = new Float32Array(elementCount(shape));
  if (values.length === 0) return values;
  const index = new Array<number>(shape.length).fill(0);
  let position = offset;
  for (let i = 0; i < values.length; i++) {
    values[i] = source[position];
    for (let dim = shape.length - 1; dim >= 0; dim--) {
      index[dim]++;
      position += stride[dim];
      if (index[dim] < shape[dim]) break;
      position -= stride[dim] * shape[dim];
      index[dim] = 0;
    }
  }
  return values;
}

/** Reads `tensor.data` (once: writers may be handed lazily computed tensors) and checks it against the shape. */
export function valuesOf(name: string, tensor: Float32Tensor): Float32Array {
  const values = tensor.data;
  if (values.length !== elementCount(tensor.shape)) {
    throw new MaskLoopError(
      'INVALID_ARGUMENT',
      `Tensor ${name} has ${values.length} values but its shape [${tensor.shape.join(', ')}] needs ${elementCount(tensor.shape)}.`,
    );
  }
  return values;
}

/** out: `values` stored as little-endian `dtype` (float16 and bfloat16 round to nearest, ties to even). */
export function encodeFloat32(values: Float32Array, dtype: WritableDType): Uint8Array {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (dtype === 'float32') return bytes;
  const bits = new Uint32Array(values.length);
  new Uint8Array(bits.buffer).set(bytes);
  const halves = new Uint16Array(values.length);
  const encode = dtype === 'float16' ? float32BitsToFloat16 : float32BitsToBfloat16;
  for (let i = 0; i < values.length; i++) halves[i] = encode(bits[i]);
  return new Uint8Array(halves.buffer);
}

let float16Values: Float32Array | undefined;

/** All 65536 float16 bit patterns as float32, built once: decoding is then one lookup per element. */
function float16Table(): Float32Array {
  if (float16Values) return float16Values;
  float16Values = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const mantissa = bits & 0x3ff;
    if (exponent === 0) float16Values[bits] = sign * mantissa * 2 ** -24;
    else if (exponent === 0x1f) float16Values[bits] = mantissa ? NaN : sign * Infinity;
    else float16Values[bits] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return float16Values;
}

function float32BitsToFloat16(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    // Subnormal half: value = m * 2^-24, m = (1.mantissa) * 2^(exponent - 127 + 24).
    const shift = 14 - halfExponent;
    return sign | roundShiftRight(mantissa | 0x800000, shift);
  }
  // A carry out of the mantissa correctly bumps the exponent (and overflows to infinity at the top).
  return sign | ((halfExponent << 10) + roundShiftRight(mantissa, 13));
}

function float32BitsToBfloat16(bits: number): number {
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return (bits >>> 16) | 0x40;
  return ((bits >>> 0) + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
}

/** value >> shift, rounded to nearest with ties to even. */
function roundShiftRight(value: number, shift: number): number {
  const kept = value >>> shift;
  const remainder = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return remainder > half || (remainder === half && kept & 1) ? kept + 1 : kept;
}
