import assert from 'node:assert/strict';
import { test } from 'node:test';
import { float16BytesToFloat32, float32ToFloat16Bytes } from '../../src-main/store/float16.js';

function halfBits(value: number): number {
  return new Uint16Array(float32ToFloat16Bytes(Float32Array.of(value)).buffer)[0];
}

test('known float16 encodings (the values numpy.float16 gives)', () => {
  const cases: [number, number][] = [
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest finite half
    [65520, 0x7c00], // rounds up to Infinity
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [-0, 0x8000],
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // exactly half of it: ties to even (0)
    [3 * 2 ** -26, 0x0001],
    [2 ** -14, 0x0400], // smallest normal
    [1 + 2 ** -11, 0x3c00], // tie between 1 and 1+2^-10: to even
    [1 + 3 * 2 ** -11, 0x3c02], // tie between 1+2^-10 and 1+2^-9: to even
    [1e-8, 0x0000],
  ];
  for (const [value, bits] of cases) assert.equal(halfBits(value), bits, `${value}`);
  assert.equal(halfBits(NaN) & 0x7c00, 0x7c00);
  assert.notEqual(halfBits(NaN) & 0x3ff, 0);
});

test('every float16 value decodes to float32 and encodes back to the same bits', () => {
  const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
  const decoded = float16BytesToFloat32(new Uint8Array(all.buffer));
  const reencoded = new Uint16Array(float32ToFloat16Bytes(decoded).buffer);
  for (let bits = 0; bits < 65536; bits++) {
    const isNaN = (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;
    if (isNaN) assert.ok(Number.isNaN(decoded[bits]));
    else assert.equal(reencoded[bits], bits, `bits 0x${bits.toString(16)}`);
  }
  assert.equal(decoded[0x3555], 0.333251953125);
});

test('decoding accepts bytes at an odd offset', () => {
  const bytes = new Uint8Array(5);
  bytes.set([0x00, 0x3c, 0x00, 0xc0], 1);
  assert.deepEqual([...float16BytesToFloat32(bytes.subarray(1))], [1, -2]);
});
