import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeMask, rleToBbox } from '../../src-main/coco/rle.js';
import {
  BOX_JITTER,
  correctionPoint,
  jitteredBox,
  randomPointPrompt,
  simulatePrompt,
  withPoint,
} from '../../src-main/train/prompt-simulation.js';
import { prepareAnnotation, type PreparedAnnotation } from '../../src-main/train/samples.js';
import { SeededRandom } from '../../src-main/train/seeded-random.js';

/** A 400x300 image (scaled by 2.56 into the 1024 frame) with a 100x60 rectangle at (150, 100). */
function rectangleAnnotation(withAnnotatorPrompts = false): PreparedAnnotation {
  const [height, width] = [300, 400];
  const mask = new Uint8Array(height * width).map((_, i) => {
    const [x, y] = [i % width, Math.floor(i / width)];
    return x >= 150 && x < 250 && y >= 100 && y < 160 ? 1 : 0;
  });
  const rle = encodeMask(mask, height, width);
  return prepareAnnotation({
    annotationId: 1,
    imageId: 1,
    imageHash: 'h',
    originalSize: [height, width],
    bbox: rleToBbox(rle),
    mask: rle,
    annotatorPrompts: withAnnotatorPrompts ? { points: [{ x: 200, y: 130, label: 1 }], box: [148, 97, 252, 163] } : undefined,
  });
}

test('a jittered box moves each side by at most 10% of the box, stays inside the image, and repeats for a seed', () => {
  const random = new SeededRandom(3);
  const boxes = Array.from({ length: 200 }, () => jitteredBox([150, 100, 100, 60], [300, 400], random));
  for (const [x0, y0, x1, y1] of boxes) {
    assert.ok(Math.abs(x0 - 150) <= BOX_JITTER * 100 && Math.abs(x1 - 250) <= BOX_JITTER * 100, `${x0} ${x1}`);
    assert.ok(Math.abs(y0 - 100) <= BOX_JITTER * 60 && Math.abs(y1 - 160) <= BOX_JITTER * 60, `${y0} ${y1}`);
  }
  assert.ok(boxes.some(([x0]) => x0 < 145) && boxes.some(([x0]) => x0 > 155), 'the jitter uses its whole range');
  assert.deepEqual(jitteredBox([0, 0, 100, 60], [300, 400], new SeededRandom(9)), jitteredBox([0, 0, 100, 60], [300, 400], new SeededRandom(9)));
  for (let seed = 0; seed < 50; seed++) {
    const [x0, y0, x1, y1] = jitteredBox([0, 250, 400, 50], [300, 400], new SeededRandom(seed));
    assert.ok(x0 >= 0 && y0 >= 0 && x1 <= 400 && y1 <= 300 && x1 > x0 && y1 > y0);
  }
});

test('a simulated box prompt is the jittered box in the 1024 frame as corners labelled 2 and 3', () => {
  const annotation = rectangleAnnotation();
  const prompt = simulatePrompt(annotation, new SeededRandom(1), { box: 1, point: 0, annotator: 0 });
  assert.deepEqual([...prompt.pointLabels], [2, 3]);
  assert.equal(prompt.multimask, false);
  const [x0, y0, x1, y1] = prompt.pointCoords;
  // The 400x300 image is scaled by 2.56 into the 1024 frame.
  assert.ok(Math.abs(x0 - 150 * 2.56) <= 10 * 2.56 && Math.abs(y1 - 160 * 2.56) <= 6 * 2.56, `${[x0, y0, x1, y1]}`);
});

test("a simulated click lies on the mask and asks for SAM's three candidates; the annotator's prompts are used as given", () => {
  const annotation = rectangleAnnotation(true);
  const random = new SeededRandom(2);
  for (let i = 0; i < 50; i++) {
    const prompt = randomPointPrompt(annotation, random);
    const [x, y] = prompt.pointCoords;
    assert.ok(x >= 150 * 2.56 - 4 && x <= 250 * 2.56 + 4 && y >= 100 * 2.56 - 4 && y <= 160 * 2.56 + 4, `${x}, ${y}`);
    assert.deepEqual([...prompt.pointLabels], [1, -1]);
    assert.equal(prompt.multimask, true);
  }
  const given = simulatePrompt(annotation, random, { box: 0, point: 0, annotator: 1 });
  assert.deepEqual([...given.pointLabels], [1, 2, 3]);
  assert.deepEqual([...given.pointCoords].map((v) => Math.round(v * 100) / 100), [512, 332.8, 378.88, 248.32, 645.12, 417.28]);
  // Without prompts of its own, an annotation falls back to the other kinds.
  const fallback = simulatePrompt(rectangleAnnotation(false), random, { box: 1, point: 0, annotator: 5 });
  assert.deepEqual([...fallback.pointLabels], [2, 3]);
});

test('a corrective click lands on the error region: positive where the mask was missed, negative where it overshot', () => {
  const annotation = rectangleAnnotation();
  const random = new SeededRandom(4);
  const perfect = Float32Array.from(annotation.lowResMask, (v) => (v === 1 ? 5 : -5));
  assert.equal(correctionPoint(perfect, annotation, random), undefined);

  const empty = new Float32Array(256 * 256).fill(-5);
  const missed = correctionPoint(empty, annotation, random)!;
  assert.equal(missed.label, 1);
  assert.equal(annotation.lowResMask[Math.floor(missed.y / 4) * 256 + Math.floor(missed.x / 4)], 1);

  const full = new Float32Array(256 * 256).fill(5);
  const overshoots = Array.from({ length: 30 }, () => correctionPoint(full, annotation, random)!);
  assert.ok(overshoots.every((p) => p.label === 0 && annotation.lowResMask[Math.floor(p.y / 4) * 256 + Math.floor(p.x / 4)] === 0));
  // Never in the padding below the image (the 400x300 image covers 1024x768 of the frame).
  assert.ok(overshoots.every((p) => p.y < 768 && p.x < 1024));
});

test('withPoint puts the new click after the earlier clicks and before the box corners or the padding point', () => {
  const box = { pointCoords: Float32Array.of(1, 2, 10, 20, 30, 40), pointLabels: Float32Array.of(1, 2, 3), multimask: false };
  const boxed = withPoint(box, { x: 7, y: 8, label: 0 });
  assert.deepEqual([...boxed.pointLabels], [1, 0, 2, 3]);
  assert.deepEqual([...boxed.pointCoords], [1, 2, 7, 8, 10, 20, 30, 40]);
  const click = { pointCoords: Float32Array.of(5, 6, 0, 0), pointLabels: Float32Array.of(1, -1), multimask: true };
  const clicked = withPoint(click, { x: 9, y: 9, label: 1 });
  assert.deepEqual([...clicked.pointLabels], [1, 1, -1]);
  assert.deepEqual([...clicked.pointCoords], [5, 6, 9, 9, 0, 0]);
  assert.equal(clicked.multimask, false);
});
