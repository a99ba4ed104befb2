import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeMask } from '../../../src-main/coco/rle.js';
import { maskCovers, maskWindowFromRle, parseHexColor, tintMask } from '../../../src-renderer/canvas/mask-window.js';

/** A 6x5 (width x height) mask with a 3x2 block at x 2..4, y 1..2. */
function blockMask(): Uint8Array {
  const mask = new Uint8Array(5 * 6);
  for (let y = 1; y <= 2; y++) for (let x = 2; x <= 4; x++) mask[y * 6 + x] = 1;
  return mask;
}

test('an RLE decodes to the window of its bounding box only', () => {
  const window = maskWindowFromRle(encodeMask(blockMask(), 5, 6));
  assert.deepEqual(window.rect, { x: 2, y: 1, width: 3, height: 2 });
  assert.equal(window.imageWidth, 6);
  assert.equal(window.imageHeight, 5);
  assert.deepEqual([...window.data], [1, 1, 1, 1, 1, 1]);
});

test('an empty RLE decodes to an empty window', () => {
  const window = maskWindowFromRle(encodeMask(new Uint8Array(12), 3, 4));
  assert.deepEqual(window.rect, { x: 0, y: 0, width: 0, height: 0 });
  assert.equal(window.data.length, 0);
});

test('maskCovers answers per pixel, including real coordinates inside a pixel', () => {
  const window = maskWindowFromRle(encodeMask(blockMask(), 5, 6));
  assert.equal(maskCovers(window, { x: 2, y: 1 }), true);
  assert.equal(maskCovers(window, { x: 4.9, y: 2.9 }), true);
  assert.equal(maskCovers(window, { x: 5, y: 2 }), false);
  assert.equal(maskCovers(window, { x: 1.99, y: 1 }), false);
});

test('parseHexColor reads #rrggbb and falls back to grey', () => {
  assert.deepEqual(parseHexColor('#FF8800'), [255, 136, 0]);
  assert.deepEqual(parseHexColor('red'), [128, 128, 128]);
});

test('tinting fills the inside, marks the edge, and leaves the outside transparent', () => {
  // A 5x5 block in a 7x7 image: the 3x3 centre is inside, the ring of 16 pixels is the edge.
  const mask = new Uint8Array(49);
  for (let y = 1; y <= 5; y++) for (let x = 1; x <= 5; x++) mask[y * 7 + x] = 1;
  const window = maskWindowFromRle(encodeMask(mask, 7, 7));
  const rgba = tintMask(window, { color: [10, 20, 30], fillAlpha: 100, edgeAlpha: 250 });
  assert.equal(rgba.length, 5 * 5 * 4);
  const alphaAt = (x: number, y: number) => rgba[(y * 5 + x) * 4 + 3];
  assert.equal(alphaAt(2, 2), 100);
  assert.equal(alphaAt(0, 0), 250);
  assert.equal(alphaAt(4, 2), 250);
  assert.deepEqual([...rgba.subarray(0, 3)], [10, 20, 30]);
});

test('tinting a region wider than the mask keeps pixels outside the mask transparent', () => {
  const window = maskWindowFromRle(encodeMask(blockMask(), 5, 6));
  const rgba = tintMask(window, { color: [1, 2, 3], fillAlpha: 50, edgeAlpha: 200 }, { x: 0, y: 0, width: 6, height: 5 });
  const alphas = Array.from({ length: 30 }, (_, i) => rgba[i * 4 + 3]);
  assert.deepEqual(alphas, [...blockMask()].map((value) => (value ? 200 : 0)));
});
