import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeMask } from '../../../src-main/coco/rle.js';
import { annotationAt } from '../../../src-renderer/canvas/hit-test.js';
import { maskWindowFromRle } from '../../../src-renderer/canvas/mask-window.js';

function square(x0: number, y0: number, side: number) {
  const mask = new Uint8Array(20 * 20);
  for (let y = y0; y < y0 + side; y++) for (let x = x0; x < x0 + side; x++) mask[y * 20 + x] = 1;
  return maskWindowFromRle(encodeMask(mask, 20, 20));
}

test('the topmost (last drawn) visible annotation under the point wins', () => {
  const below = { id: 1, mask: square(0, 0, 10), hidden: false };
  const above = { id: 2, mask: square(5, 5, 10), hidden: false };
  assert.equal(annotationAt([below, above], { x: 7, y: 7 }), 2);
  assert.equal(annotationAt([below, above], { x: 2, y: 2 }), 1);
  assert.equal(annotationAt([below, above], { x: 18, y: 2 }), null);
});

test('hidden annotations cannot be hit', () => {
  const below = { id: 1, mask: square(0, 0, 10), hidden: false };
  const above = { id: 2, mask: square(5, 5, 10), hidden: true };
  assert.equal(annotationAt([below, above], { x: 7, y: 7 }), 1);
});
