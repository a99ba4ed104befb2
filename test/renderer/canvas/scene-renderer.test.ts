import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drawScene, type DrawContext, type Scene, type SceneImage } from '../../../src-renderer/canvas/scene-renderer.js';
import { pyramidLevels, tilesOfLevel } from '../../../src-renderer/canvas/tiles.js';

/** A bitmap stand-in: its name says which tile or overlay it is. */
type FakeBitmap = { name: string };

/** Records the calls a frame makes, in order. */
class RecordingContext implements DrawContext<FakeBitmap> {
  calls: string[] = [];
  fillStyle: string | CanvasGradient | CanvasPattern = '';
  strokeStyle: string | CanvasGradient | CanvasPattern = '';
  lineWidth = 1;
  imageSmoothingEnabled = true;
  setTransform(a: number, b: number, c: number, d: number, e: number, f: number) {
    this.calls.push(`transform ${[a, b, c, d, e, f].join(',')}`);
  }
  fillRect(x: number, y: number, width: number, height: number) {
    this.calls.push(`fillRect ${x},${y},${width},${height}`);
  }
  strokeRect(x: number, y: number, width: number, height: number) {
    this.calls.push(`strokeRect ${x},${y},${width},${height}`);
  }
  drawImage(image: FakeBitmap, dx: number, dy: number, dw: number, dh: number) {
    this.calls.push(`draw ${image.name} ${dx},${dy},${dw},${dh}`);
  }
  beginPath() {}
  arc(x: number, y: number, radius: number) {
    this.calls.push(`arc ${x},${y},${radius}`);
  }
  moveTo() {}
  lineTo() {}
  stroke() {}
  fill() {}
  setLineDash() {}
}

/** A 6000x4000 image whose tiles are all ready except those listed as missing. */
function fakeImage(missingLevel?: number): SceneImage<FakeBitmap> {
  const size = { width: 6000, height: 4000 };
  const levels = pyramidLevels(size);
  return {
    size,
    levels,
    tiles: (level) =>
      tilesOfLevel(levels[level], size).map((tile) => ({ ...tile, source: level === missingLevel ? null : { name: `L${level}(${tile.x},${tile.y})` } })),
  };
}

const noPrompts = { points: [], box: null, dragBox: null };

function scene(overrides: Partial<Scene<FakeBitmap>>): Scene<FakeBitmap> {
  return { image: null, overlays: [], draft: null, prompts: noPrompts, brushCursor: null, ...overrides };
}

test('zoomed in, only the full-resolution tiles in view are drawn, in image coordinates under the device transform', () => {
  const context = new RecordingContext();
  // 1 CSS px per image px on a 2x screen; the viewport shows image x 100..500, y 100..400.
  drawScene(context, scene({ image: fakeImage() }), { scale: 1, offsetX: -100, offsetY: -100 }, { width: 400, height: 300, devicePixelRatio: 2 });
  assert.deepEqual(context.calls, [
    'transform 2,0,0,2,0,0',
    'fillRect 0,0,400,300',
    'transform 2,0,0,2,-200,-200',
    'draw L0(0,0) 0,0,2048,2048',
    'transform 2,0,0,2,-200,-200',
    'transform 2,0,0,2,0,0',
  ]);
  assert.equal(context.imageSmoothingEnabled, false, 'two device pixels per image pixel show pixels, not blur');
});

test('zoomed out, a coarser level is drawn and smoothed', () => {
  const context = new RecordingContext();
  drawScene(context, scene({ image: fakeImage() }), { scale: 0.1, offsetX: 0, offsetY: 0 }, { width: 600, height: 400, devicePixelRatio: 1 });
  const draws = context.calls.filter((call) => call.startsWith('draw'));
  assert.deepEqual(draws, ['draw L3(0,0) 0,0,6000,4000']);
  assert.equal(context.imageSmoothingEnabled, true);
});

test('while a level is still building, the coarsest level is drawn underneath', () => {
  const context = new RecordingContext();
  drawScene(context, scene({ image: fakeImage(0) }), { scale: 1, offsetX: 0, offsetY: 0 }, { width: 100, height: 100, devicePixelRatio: 1 });
  assert.deepEqual(context.calls.filter((call) => call.startsWith('draw')), ['draw L4(0,0) 0,0,6000,4000']);
});

test('overlays outside the view are skipped; the draft comes after the annotations', () => {
  const context = new RecordingContext();
  const overlays = [
    { source: { name: 'inside' }, rect: { x: 10, y: 10, width: 20, height: 20 } },
    { source: { name: 'outside' }, rect: { x: 900, y: 900, width: 20, height: 20 } },
  ];
  const draft = { source: { name: 'draft' }, rect: { x: 0, y: 0, width: 5, height: 5 } };
  drawScene(context, scene({ overlays, draft }), { scale: 1, offsetX: 0, offsetY: 0 }, { width: 100, height: 100, devicePixelRatio: 1 });
  assert.deepEqual(context.calls.filter((call) => call.startsWith('draw')), ['draw inside 10,10,20,20', 'draw draft 0,0,5,5']);
});

test('with a prerendered base, image and annotations are one device-pixel blit and the draft is drawn on top', () => {
  const context = new RecordingContext();
  const overlays = [{ source: { name: 'annotation' }, rect: { x: 10, y: 10, width: 20, height: 20 } }];
  const draft = { source: { name: 'draft' }, rect: { x: 0, y: 0, width: 5, height: 5 } };
  const base = { source: { name: 'base' }, x: 7, y: -3, width: 300, height: 200 };
  drawScene(context, scene({ image: fakeImage(), overlays, draft }), { scale: 0.05, offsetX: 3.5, offsetY: 1.5 }, { width: 100, height: 100, devicePixelRatio: 2 }, base);
  assert.deepEqual(context.calls.filter((call) => call.startsWith('draw')), ['draw base 7,-3,300,200', 'draw draft 0,0,5,5']);
  assert.ok(context.calls.includes('transform 1,0,0,1,0,0'));
});

test('prompt markers and the box are drawn in screen pixels, the same size at any zoom', () => {
  const context = new RecordingContext();
  const prompts = { points: [{ x: 10, y: 20, label: 1 as const }], box: { x: 5, y: 5, width: 10, height: 4 }, dragBox: null };
  drawScene(context, scene({ prompts }), { scale: 4, offsetX: 1, offsetY: 2 }, { width: 100, height: 100, devicePixelRatio: 1 });
  assert.ok(context.calls.includes('arc 41,82,6'));
  assert.ok(context.calls.includes('strokeRect 21,22,40,16'));
});
