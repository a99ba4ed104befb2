import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMask, encodeMask } from '../../../src-main/coco/rle.js';
import { maskWindowFromRle } from '../../../src-renderer/canvas/mask-window.js';
import { DraftMask } from '../../../src-renderer/editing/draft-mask.js';

const size = { width: 12, height: 8 };

function squareWindow(x0: number, y0: number, side: number) {
  const mask = new Uint8Array(size.width * size.height);
  for (let y = y0; y < y0 + side; y++) for (let x = x0; x < x0 + side; x++) mask[y * size.width + x] = 1;
  return maskWindowFromRle(encodeMask(mask, size.height, size.width));
}

function area(draft: DraftMask): number {
  return draft.pixels.reduce((sum, value) => sum + value, 0);
}

test('the base mask is placed at its box in the image', () => {
  const draft = new DraftMask(size);
  draft.setBase(squareWindow(3, 2, 4));
  assert.equal(area(draft), 16);
  assert.equal(draft.pixels[2 * 12 + 3], 1);
  assert.equal(draft.pixels[2 * 12 + 2], 0);
  assert.deepEqual(draft.bounds, { x: 3, y: 2, width: 4, height: 4 });
});

test('brush strokes survive a new base (a new prediction keeps the fixes)', () => {
  const draft = new DraftMask(size);
  draft.setBase(squareWindow(0, 0, 4));
  draft.beginStroke({ mode: 'erase', radius: 0.5, points: [{ x: 0.5, y: 0.5 }] });
  draft.beginStroke({ mode: 'paint', radius: 0.5, points: [{ x: 10.5, y: 6.5 }] });
  assert.equal(area(draft), 16);
  draft.setBase(squareWindow(0, 0, 3));
  assert.equal(draft.pixels[0], 0, 'the erased pixel stays erased');
  assert.equal(draft.pixels[6 * 12 + 10], 1, 'the painted pixel stays painted');
  assert.equal(area(draft), 9);
});

test('undoing a stroke restores the mask before it', () => {
  const draft = new DraftMask(size);
  draft.setBase(squareWindow(0, 0, 4));
  draft.beginStroke({ mode: 'paint', radius: 0.5, points: [{ x: 5.5, y: 0.5 }] });
  draft.extendStroke({ x: 9.5, y: 0.5 });
  assert.equal(area(draft), 16 + 5);
  assert.equal(draft.undoStroke(), true);
  assert.equal(area(draft), 16);
  assert.equal(draft.undoStroke(), false);
});

test('the draft encodes to the RLE of exactly its pixels', () => {
  const draft = new DraftMask(size);
  draft.beginStroke({ mode: 'paint', radius: 1, points: [{ x: 6, y: 4 }] });
  const rle = draft.toRle();
  assert.deepEqual(rle.size, [8, 12]);
  assert.deepEqual(decodeMask(rle), draft.pixels);
  assert.equal(draft.isEmpty(), false);
});

test('a draft erased to nothing is empty', () => {
  const draft = new DraftMask(size);
  draft.setBase(squareWindow(4, 4, 2));
  draft.beginStroke({ mode: 'erase', radius: 3, points: [{ x: 5, y: 5 }] });
  assert.equal(draft.isEmpty(), true);
});

test('the area counts the foreground pixels of base and strokes', () => {
  const draft = new DraftMask(size);
  assert.equal(draft.area(), 0);
  draft.setBase(squareWindow(0, 0, 3));
  draft.beginStroke({ mode: 'paint', radius: 0.5, points: [{ x: 10.5, y: 6.5 }] });
  assert.equal(draft.area(), 10);
});
