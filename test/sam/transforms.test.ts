import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyBoxes, applyCoords, applyImage, getPreprocessShape } from '../../src-main/sam/transforms.js';
import { loadRgbImage } from '../../src-main/sam/image-io.js';
import { manifest, referencePath } from '../support/sam-reference.js';

test('the longest side becomes 1024 and the other side is rounded half up', () => {
  assert.deepEqual(getPreprocessShape(768, 1024), [768, 1024]);
  assert.deepEqual(getPreprocessShape(600, 800), [768, 1024]);
  // 2476 * 1024 / 3484 = 727.72 -> 728
  assert.deepEqual(getPreprocessShape(3484, 2476), [1024, 728]);
  // 300 * 1024 / 2048 = 150 exactly; 1 * 1024 / 2048 = 0.5 rounds up to 1
  assert.deepEqual(getPreprocessShape(2048, 300), [1024, 150]);
  assert.deepEqual(getPreprocessShape(1, 2048), [1, 1024]);
  assert.deepEqual(getPreprocessShape(10, 20, 64), [32, 64]);
});

for (const tag of ['exact', 'resized'] as const) {
  test(`input_size of the ${tag} reference image is its preprocess shape`, () => {
    const [height, width] = manifest.images[tag].original_size;
    assert.deepEqual(getPreprocessShape(height, width), manifest.images[tag].input_size);
  });

  test(`the box prompt of ${tag} maps to the transformed_box the reference prompt encoder saw`, () => {
    const { original_size: originalSize, cases, grad } = manifest.images[tag];
    const [box] = applyBoxes([cases.box.prompt.box!], originalSize);
    // The reference stored the box as float32, so compare after the same rounding.
    assert.deepEqual(box.map(Math.fround), grad.transformed_box);
  });
}

test('points scale from original pixels to the 1024 frame per axis', () => {
  // 800x600 -> 1024x768: both axes by 1.28
  assert.deepEqual(applyCoords([[496, 226], [0, 0], [800, 600]], [600, 800]), [
    [496 * 1.28, 226 * 1.28],
    [0, 0],
    [1024, 768],
  ]);
  // 2476x3484 -> 728x1024: x by 728/2476, y by 1024/3484 (not quite the same factor)
  const [[x, y]] = applyCoords([[2476, 3484]], [3484, 2476]);
  assert.equal(x, 728);
  assert.equal(y, 1024);
});

test('applyImage leaves a 1024-wide image untouched and resizes others to the preprocess shape', async () => {
  const exact = await loadRgbImage(referencePath('image_exact.png'));
  assert.deepEqual(applyImage(exact).data, exact.data);
  const resized = applyImage(await loadRgbImage(referencePath('image_resized.png')));
  assert.deepEqual([resized.height, resized.width], [768, 1024]);
});
