import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LOW_RES_SIZE, lowResToBinaryMask, maskFromLogits, upscaleLowResLogits } from '../../src-main/sam/postprocess.js';
import { MaskLoopError } from '../../src-main/errors.js';
import { manifest, readReferenceFloat32 } from '../support/sam-reference.js';

function countOnes(mask: Uint8Array, start: number, end: number): number {
  let count = 0;
  for (let i = start; i < end; i++) count += mask[i];
  return count;
}

for (const tag of ['exact', 'resized'] as const) {
  test(`upscaling the ${tag} point case's low-res logits reproduces SAM's masks_logits and positive pixel counts`, () => {
    const { input_size: inputSize, original_size: originalSize, cases } = manifest.images[tag];
    const lowRes = readReferenceFloat32(`${tag}_point_low_res_logits.bin`);
    const expected = readReferenceFloat32(`${tag}_point_masks_logits.bin`);
    const logits = upscaleLowResLogits(lowRes, 3, inputSize, originalSize);
    assert.equal(logits.length, expected.length);
    let maxDiff = 0;
    for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs(logits[i] - expected[i]));
    // Measured: 2.4e-7 on both images; the reference's tolerance is 2e-3.
    assert.ok(maxDiff < 1e-5, `max |diff| ${maxDiff}`);

    const [height, width] = originalSize;
    const area = height * width;
    const masks = maskFromLogits(logits);
    assert.deepEqual(
      [0, 1, 2].map((k) => countOnes(masks, k * area, (k + 1) * area)),
      cases.point.mask_positive_pixels,
    );
    for (const k of [0, 2]) {
      const binary = lowResToBinaryMask(lowRes, 3, k, inputSize, originalSize);
      assert.deepEqual(binary, masks.subarray(k * area, (k + 1) * area));
    }
  });
}

test('upscaling to an original larger than 1024 matches PyTorch interpolate -> crop -> interpolate', () => {
  // A 1066x1500 scan (input 728x1024). Expected values from the two F.interpolate steps written out in float64 numpy.
  const lowRes = new Float32Array(LOW_RES_SIZE * LOW_RES_SIZE);
  for (let y = 0; y < LOW_RES_SIZE; y++) {
    for (let x = 0; x < LOW_RES_SIZE; x++) lowRes[y * LOW_RES_SIZE + x] = Math.sin(0.05 * x) + Math.cos(0.07 * y);
  }
  const logits = upscaleLowResLogits(lowRes, 1, [1024, 728], [1500, 1066]);
  assert.equal(logits.length, 1500 * 1066);
  const expected: [row: number, column: number, logit: number][] = [
    [0, 0, 1.0],
    [0, 1065, 1.348453],
    [1499, 0, 0.5406759],
    [1499, 1065, 0.889129],
    [7, 13, 1.0881956],
    [750, 533, -1.8629955],
    [321, 987, 0.0650076],
    [1234, 77, 0.0498492],
  ];
  for (const [row, column, logit] of expected) {
    const actual = logits[row * 1066 + column];
    assert.ok(Math.abs(actual - logit) < 1e-5, `(${row},${column}): ${actual} vs ${logit}`);
  }
  assert.equal(countOnes(maskFromLogits(logits), 0, logits.length), 908852);
});

test('maskFromLogits marks logits strictly above the threshold', () => {
  assert.deepEqual([...maskFromLogits(new Float32Array([-1, 0, 0.25, 3]))], [0, 0, 1, 1]);
  assert.deepEqual([...maskFromLogits(new Float32Array([-1, 0, 0.25, 3]), 0.5)], [0, 0, 0, 1]);
});

test('refuses logits whose length does not match the mask count, and a mask index that does not exist', () => {
  const invalid = (error: unknown) => error instanceof MaskLoopError && error.code === 'INVALID_ARGUMENT';
  const oneMask = new Float32Array(LOW_RES_SIZE * LOW_RES_SIZE);
  assert.throws(() => upscaleLowResLogits(oneMask, 3, [768, 1024], [768, 1024]), invalid);
  assert.throws(() => upscaleLowResLogits(oneMask, 1, [768, 2048], [768, 1024]), invalid);
  assert.throws(() => lowResToBinaryMask(oneMask, 1, 1, [768, 1024], [768, 1024]), invalid);
});
