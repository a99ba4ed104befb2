import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, formatIoU, percent } from '../../../src-renderer/format/format.js';

test('durations read as seconds, minutes or hours', () => {
  assert.equal(formatDuration(950), '1 s');
  assert.equal(formatDuration(75_000), '1 min 15 s');
  assert.equal(formatDuration(3_900_000), '1 h 5 min');
  assert.equal(formatDuration(null), '');
});

test('percent is whole, clamped, and 0 of nothing is 0', () => {
  assert.equal(percent(1, 3), 33);
  assert.equal(percent(5, 4), 100);
  assert.equal(percent(0, 0), 0);
});

test('IoU shows three decimals or a dash', () => {
  assert.equal(formatIoU(0.45678), '0.457');
  assert.equal(formatIoU(null), '—');
});
