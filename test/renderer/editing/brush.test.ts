import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextBrushRadius, paintSegment } from '../../../src-renderer/editing/brush.js';

const size = { width: 20, height: 10 };

function painted(mask: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  mask.forEach((value, i) => value && out.push([i % size.width, Math.floor(i / size.width)]));
  return out;
}

test('a dab of radius 2 covers the pixels whose centres are within 2 of the point', () => {
  const mask = new Uint8Array(size.width * size.height);
  const changed = paintSegment(mask, size, { x: 5, y: 5 }, { x: 5, y: 5 }, 2, 1);
  // Centres at distance <= 2 of (5, 5): the 4x4 block of pixels 3..6 minus its corners.
  assert.deepEqual(painted(mask), [[4, 3], [5, 3], [3, 4], [4, 4], [5, 4], [6, 4], [3, 5], [4, 5], [5, 5], [6, 5], [4, 6], [5, 6]]);
  assert.deepEqual(changed, { x: 3, y: 3, width: 4, height: 4 });
});

test('a stroke covers the capsule between its ends, with no gaps however fast it moved', () => {
  const mask = new Uint8Array(size.width * size.height);
  paintSegment(mask, size, { x: 2.5, y: 5.5 }, { x: 17.5, y: 5.5 }, 0.5, 1);
  assert.deepEqual(painted(mask), Array.from({ length: 16 }, (_, i) => [2 + i, 5]));
});

test('the eraser clears, and painting outside the image changes nothing', () => {
  const mask = new Uint8Array(size.width * size.height).fill(1);
  paintSegment(mask, size, { x: 0, y: 0 }, { x: 0, y: 0 }, 1, 0);
  assert.equal(mask[0], 0);
  assert.equal(paintSegment(mask, size, { x: -50, y: -50 }, { x: -40, y: -40 }, 3, 0), null);
});

test('[ and ] step the brush by about 20% within 1..500 pixels', () => {
  assert.equal(nextBrushRadius(10, 1), 12);
  assert.equal(nextBrushRadius(10, -1), 8);
  assert.equal(nextBrushRadius(1, -1), 1);
  assert.equal(nextBrushRadius(2, 1), 3);
  assert.equal(nextBrushRadius(490, 1), 500);
});
