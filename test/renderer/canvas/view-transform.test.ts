import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitView, imageToScreen, MAX_SCALE, oneToOneView, panBy, screenToImage, visibleImageRect, wheelZoomFactor, zoomAt } from '../../../src-renderer/canvas/view-transform.js';

test('screen and image coordinates are inverse mappings', () => {
  const view = { scale: 2.5, offsetX: 40, offsetY: -12 };
  const image = { x: 123.25, y: 77.5 };
  const screen = imageToScreen(view, image);
  assert.deepEqual(screen, { x: 123.25 * 2.5 + 40, y: 77.5 * 2.5 - 12 });
  assert.deepEqual(screenToImage(view, screen), image);
});

test('zooming at the cursor keeps the image point under the cursor', () => {
  const view = { scale: 0.5, offsetX: 10, offsetY: 20 };
  const cursor = { x: 300, y: 200 };
  const before = screenToImage(view, cursor);
  const zoomed = zoomAt(view, cursor, 3);
  assert.equal(zoomed.scale, 1.5);
  const after = screenToImage(zoomed, cursor);
  assert.ok(Math.abs(after.x - before.x) < 1e-9 && Math.abs(after.y - before.y) < 1e-9);
});

test('zoom stops at the maximum scale', () => {
  assert.equal(zoomAt({ scale: 40, offsetX: 0, offsetY: 0 }, { x: 0, y: 0 }, 10).scale, MAX_SCALE);
});

test('one wheel notch down zooms out by 1.25, up zooms in', () => {
  assert.equal(wheelZoomFactor(100), 1 / 1.25);
  assert.equal(wheelZoomFactor(-100), 1.25);
});

test('fit centres a 4000x3000 image in a 1000x800 viewport with a margin', () => {
  const view = fitView({ width: 4000, height: 3000 }, { width: 1000, height: 800 }, 20);
  assert.equal(view.scale, 960 / 4000);
  assert.equal(view.offsetX, 20);
  assert.equal(view.offsetY, (800 - 3000 * view.scale) / 2);
});

test('1:1 maps one image pixel to one device pixel on a 2x screen, around the viewport centre', () => {
  const viewport = { width: 800, height: 600 };
  const view = { scale: 0.2, offsetX: 100, offsetY: 50 };
  const centreBefore = screenToImage(view, { x: 400, y: 300 });
  const actual = oneToOneView(view, viewport, 2);
  assert.equal(actual.scale, 0.5);
  const centreAfter = screenToImage(actual, { x: 400, y: 300 });
  assert.ok(Math.abs(centreAfter.x - centreBefore.x) < 1e-9 && Math.abs(centreAfter.y - centreBefore.y) < 1e-9);
});

test('panning moves the image by the pointer delta and the visible rect the other way', () => {
  const view = panBy({ scale: 2, offsetX: 0, offsetY: 0 }, 30, -10);
  assert.deepEqual(view, { scale: 2, offsetX: 30, offsetY: -10 });
  assert.deepEqual(visibleImageRect(view, { width: 200, height: 100 }), { x: -15, y: 5, width: 100, height: 50 });
});
