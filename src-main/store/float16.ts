// IEEE 754 half-precision conversion for cached embeddings: a 65536-entry table to decode, round-to-nearest-even to encode.

/** Every float16 bit pattern's float32 value; decoding is then one table lookup per element. */
const FLOAT16_TO_FLOAT32 = buildDecodeTable();

function buildDecodeTable(): Float32Array {
  const table = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const mantissa = bits & 0x3ff;
    if (exponent === 0) table[bits] = sign * mantissa * 2 ** -24;
    else if (exponent === 0x1f) table[bits] = mantissa === 0 ? sign * Infinity : NaN;
    else table[bits] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return table;
}

/**
 * Decodes little-endian float16 bytes (`bytes.byteLength` must be even) into `into` when given
 * (its length must be byteLength / 2), else into a new array.
 */
export function float16BytesToFloat32(bytes: Uint8Array, into?: Float32Array): Float32Array {
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
  const halves = new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2);
  if (into && into.length !== halves.length) {
    throw new RangeError(`cannot decode ${halves.length} float16 values into an array of ${into.length}`);
  }
  const out = into ?? new Float32Array(halves.length);
  const table = FLOAT16_TO_FLOAT32;
  for (let i = 0; i < halves.length; i++) out[i] = table[halves[i]];
  return out;
}

/** Encodes to little-endian float16 bytes, rounding to nearest even; overflow becomes ±Infinity. */
export function float32ToFloat16Bytes(values: Float32Array): Uint8Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const halves = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) halves[i] = float32BitsToFloat16(bits[i]);
  return new Uint8Array(halves.buffer);
}

function float32BitsToFloat16(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half: value = m * 2^-24 with m = (1.mantissa) * 2^(halfExponent + 9).
    if (halfExponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    return sign | roundShifted(mantissa, shift);
  }
  // Rounding may carry into the exponent, which is exactly the next representable value (up to Infinity).
  return sign | ((halfExponent << 10) + roundShifted(mantissa, 13));
}

/** `value >> shift`, rounded to nearest with ties to even. */
function roundShifted(value: number, shift: number): number {
  const truncated = value >>> shift;
  const remainder = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return remainder > half || (remainder === half && (truncated & 1) === 1) ? truncated + 1 : truncated;
}
