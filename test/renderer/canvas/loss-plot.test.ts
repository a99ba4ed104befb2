import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lossPlotGeometry } from '../../../src-renderer/canvas/loss-plot.js';

test('losses span the plot: first step left, last right, highest loss at the top', () => {
  const geometry = lossPlotGeometry([1, 0.5, 0], 104, 54, 2);
  assert.equal(geometry.points, '2,2 52,27 102,52');
  assert.equal(geometry.yMax, 1);
  assert.equal(geometry.yMin, 0);
});

test('one loss value draws a flat line across the plot', () => {
  assert.equal(lossPlotGeometry([0.7], 100, 50, 0).points, '0,25 100,25');
});

test('no finite losses draw nothing', () => {
  assert.equal(lossPlotGeometry([Number.NaN], 100, 50).points, '');
  assert.equal(lossPlotGeometry([], 100, 50).points, '');
});
