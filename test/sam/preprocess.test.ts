import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRgbImage, type RgbImage } from '../../src-main/sam/image-io.js';
import { preprocessImage } from '../../src-main/sam/preprocess.js';
import { referencePath } from '../support/sam-reference.js';


const PLANE = 1024 * 1024;
const MEAN = [123.675, 116.28, 103.53];
const STD = [58.395, 57.12, 57.375];

/** in: input float32[1,3,1024,1024]; (x, y) in the 1024 frame. */
function inputPixel(input: Float32Array, x: number, y: number): number[] {
  return [0, 1, 2].map((c) => input[c * PLANE + y * 1024 + x]);
}

function normalised(image: RgbImage, x: number, y: number): number[] {
  const p = (y * image.width + x) * 3;
  return [0, 1, 2].map((c) => Math.fround((image.data[p + c] - MEAN[c]) / STD[c]));
}

test('image_exact is normalised per channel with SAM pixel mean/std and padded with zeros below', async () => {
  const image = await loadRgbImage(referencePath('image_exact.png'));
  const { input, inputSize, originalSize } = preprocessImage(image);
  assert.equal(input.length, 3 * PLANE);
  assert.deepEqual(inputSize, [768, 1024]);
  assert.deepEqual(originalSize, [768, 1024]);
  for (const [x, y] of [[0, 0], [634, 288], [1023, 767], [500, 400]]) {
    const actual = inputPixel(input, x, y);
    const expected = normalised(image, x, y);
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(actual[c] - expected[c]) < 1e-6, `(${x},${y}) channel ${c}: ${actual[c]} vs ${expected[c]}`);
  }
  for (const [x, y] of [[0, 768], [1023, 1023], [512, 900]]) assert.deepEqual(inputPixel(input, x, y), [0, 0, 0]);
});

test('the extremes of a byte map to the float32 values PyTorch computes', () => {
  // 1024x1: already 1024 long, so no resize; black, white, then grey.
  const data = new Uint8Array(1024 * 3).fill(128);
  data.fill(0, 0, 3);
  data.fill(255, 3, 6);
  const { input, inputSize } = preprocessImage({ width: 1024, height: 1, data });
  assert.deepEqual(inputSize, [1, 1024]);
  // (x - mean) / std in float32, as numpy/PyTorch compute it: (np.float32(x) - mean32) / std32
  assert.deepEqual(inputPixel(input, 0, 0), [-2.1179039478302, -2.0357143878936768, -1.804444432258606]);
  assert.deepEqual(inputPixel(input, 1, 0), [2.248908281326294, 2.4285714626312256, 2.640000104904175]);
  assert.deepEqual(inputPixel(input, 0, 1), [0, 0, 0]);
  assert.deepEqual(inputPixel(input, 1023, 1023), [0, 0, 0]);
});

test('image_resized is resized with the reference filter before normalising', async () => {
  const image = await loadRgbImage(referencePath('image_resized.png'));
  const reference = await loadRgbImage(referencePath('image_resized_resized_pil_bilinear.png'));
  const { input, inputSize, originalSize } = preprocessImage(image);
  assert.deepEqual(inputSize, [768, 1024]);
  assert.deepEqual(originalSize, [600, 800]);
  let maxDiff = 0;
  for (let y = 0; y < 768; y++) {
    for (let x = 0; x < 1024; x++) {
      const actual = inputPixel(input, x, y);
      const expected = normalised(reference, x, y);
      for (let c = 0; c < 3; c++) maxDiff = Math.max(maxDiff, Math.abs(actual[c] - expected[c]));
    }
  }
  assert.ok(maxDiff < 1e-6, `max diff ${maxDiff}`);
  assert.deepEqual(inputPixel(input, 1023, 768), [0, 0, 0]);
});
