import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planBaseLayer, samePlanShape } from '../../../src-renderer/canvas/base-layer.js';

const image = { width: 4000, height: 3000 };

test('the bitmap covers the whole image at the view zoom, from a whole device pixel, with the sub-pixel phase kept', () => {
  const plan = planBaseLayer({ scale: 0.25, offsetX: 10.3, offsetY: -20.75 }, 2, image, 10_000_000)!;
  assert.equal(plan.x, 20);
  assert.equal(plan.y, -42);
  assert.ok(Math.abs(plan.phaseX - 0.6) < 1e-9 && Math.abs(plan.phaseY - 0.5) < 1e-9);
  assert.equal(plan.width, Math.ceil(2000 + 0.6));
  assert.equal(plan.height, Math.ceil(1500 + 0.5));
});

test('no bitmap when the zoomed image would exceed the pixel budget', () => {
  assert.equal(planBaseLayer({ scale: 1, offsetX: 0, offsetY: 0 }, 1, image, 4 * 1280 * 800), null);
});

test('panning by whole device pixels keeps the bitmap usable; a sub-pixel pan or a zoom does not', () => {
  const view = { scale: 0.3, offsetX: 12.25, offsetY: 7 };
  const made = planBaseLayer(view, 1, image, Infinity)!;
  assert.ok(samePlanShape(made, planBaseLayer({ ...view, offsetX: view.offsetX + 15, offsetY: view.offsetY - 4 }, 1, image, Infinity)!));
  assert.ok(!samePlanShape(made, planBaseLayer({ ...view, offsetX: view.offsetX + 0.5 }, 1, image, Infinity)!));
  assert.ok(!samePlanShape(made, planBaseLayer({ ...view, scale: 0.31 }, 1, image, Infinity)!));
});
