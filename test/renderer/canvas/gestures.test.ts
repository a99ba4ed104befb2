import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GestureTracker, type PointerSample } from '../../../src-renderer/canvas/gestures.js';

/** Screen -> image at scale 2 with the image's origin at screen (10, 10). */
const tracker = () => new GestureTracker((screen) => ({ x: (screen.x - 10) / 2, y: (screen.y - 10) / 2 }));

function at(x: number, y: number, extra: Partial<PointerSample> = {}): PointerSample {
  return { x, y, button: 0, shiftKey: false, ctrlKey: false, metaKey: false, ...extra };
}

test('a left click is a positive point in image pixels', () => {
  const gestures = tracker();
  assert.deepEqual(gestures.down(at(30, 50), 'sam', false), []);
  assert.deepEqual(gestures.up(at(31, 51)), [{ kind: 'point', at: { x: 10, y: 20 }, label: 1 }]);
});

test('right click and shift-click are negative points', () => {
  const gestures = tracker();
  gestures.down(at(30, 50, { button: 2 }), 'sam', false);
  assert.deepEqual(gestures.up(at(30, 50, { button: 2 })), [{ kind: 'point', at: { x: 10, y: 20 }, label: 0 }]);
  gestures.down(at(30, 50, { shiftKey: true }), 'sam', false);
  assert.deepEqual(gestures.up(at(30, 50)), [{ kind: 'point', at: { x: 10, y: 20 }, label: 0 }]);
});

test('a left drag past the click slop previews and then gives a box, corners in any order', () => {
  const gestures = tracker();
  gestures.down(at(110, 90), 'sam', false);
  assert.deepEqual(gestures.move(at(111, 91)), [], 'a wobble is still a click');
  assert.deepEqual(gestures.move(at(50, 30)), [{ kind: 'box-preview', box: { x: 20, y: 10, width: 30, height: 30 } }]);
  assert.deepEqual(gestures.up(at(30, 50)), [
    { kind: 'box-preview', box: null },
    { kind: 'box', box: { x: 10, y: 20, width: 40, height: 20 } },
  ]);
});

test('middle drag and space-drag pan by the pointer delta whatever the tool', () => {
  const gestures = tracker();
  gestures.down(at(10, 10, { button: 1 }), 'brush', false);
  assert.deepEqual(gestures.move(at(25, 5)), [{ kind: 'pan', dx: 15, dy: -5 }]);
  assert.deepEqual(gestures.move(at(30, 5)), [{ kind: 'pan', dx: 5, dy: 0 }]);
  assert.deepEqual(gestures.up(at(30, 5)), []);
  gestures.down(at(10, 10), 'sam', true);
  assert.deepEqual(gestures.move(at(12, 10)), [{ kind: 'pan', dx: 2, dy: 0 }]);
  assert.deepEqual(gestures.up(at(12, 10)), [], 'a space-drag is not a click');
});

test('ctrl-click selects instead of prompting', () => {
  const gestures = tracker();
  gestures.down(at(30, 50, { ctrlKey: true }), 'sam', false);
  assert.deepEqual(gestures.up(at(30, 50)), [{ kind: 'select', at: { x: 10, y: 20 } }]);
});

test('brush and eraser drags are strokes in image pixels', () => {
  const gestures = tracker();
  assert.deepEqual(gestures.down(at(10, 10), 'eraser', false), [{ kind: 'stroke-begin', at: { x: 0, y: 0 }, mode: 'erase' }]);
  assert.deepEqual(gestures.move(at(14, 10)), [{ kind: 'stroke-extend', at: { x: 2, y: 0 } }]);
  assert.deepEqual(gestures.up(at(14, 10)), [{ kind: 'stroke-end' }]);
  assert.deepEqual(gestures.down(at(10, 10), 'brush', false)[0], { kind: 'stroke-begin', at: { x: 0, y: 0 }, mode: 'paint' });
});

test('a cancelled drag ends the stroke or hides the box without acting', () => {
  const gestures = tracker();
  gestures.down(at(10, 10), 'sam', false);
  gestures.move(at(60, 60));
  assert.deepEqual(gestures.cancel(), [{ kind: 'box-preview', box: null }]);
  assert.deepEqual(gestures.up(at(60, 60)), []);
});
