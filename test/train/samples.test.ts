import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { importCocoIntoProject } from '../../src-main/coco/project-coco.js';
import { encodeMask, rleArea, rleToBbox } from '../../src-main/coco/rle.js';
import { annotatorPrompts, collectTrainingAnnotations, lowResTarget, prepareAnnotation } from '../../src-main/train/samples.js';
import { tempProject } from '../store/temp-project.js';
import { readReferenceFloat32 } from '../support/sam-reference.js';

/** The reference's stamp: a disc of radius 138.5 around (634, 422), drawn in original pixels of a width x height image. */
function referenceDisc(height: number, width: number, scale = 1): Uint8Array {
  const mask = new Uint8Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) mask[y * width + x] = Math.hypot(x * scale - 634, y * scale - 422) <= 138.5 ? 1 : 0;
  }
  return mask;
}

test("lowResTarget reproduces the fixture's gt_mask_256 from the stamp's mask at the original size", () => {
  const target = lowResTarget(referenceDisc(768, 1024), [768, 1024]);
  const fixture = readReferenceFloat32('exact_gt_mask_256.bin');
  assert.equal(target.length, 256 * 256);
  assert.equal(target.reduce((n, v, i) => n + (v === fixture[i] ? 0 : 1), 0), 0);
});

test('lowResTarget resizes the longest side to 1024 and leaves the padding empty', () => {
  // 400x300 is scaled by 2.56 to 1024x768: rows 192..255 of the low-res target are padding.
  const mask = new Uint8Array(300 * 400).fill(1);
  const target = lowResTarget(mask, [300, 400]);
  const rowSum = (row: number) => target.subarray(row * 256, (row + 1) * 256).reduce((a, b) => a + b, 0);
  assert.equal(rowSum(0), 256);
  assert.equal(rowSum(191), 256);
  assert.equal(rowSum(192), 0);
  // The same disc drawn at 400x300 (1/2.56 of the reference frame) lands where the reference has it, to a cell's edge.
  const small = lowResTarget(referenceDisc(300, 400, 2.56), [300, 400]);
  const fixture = readReferenceFloat32('exact_gt_mask_256.bin');
  const differing = small.reduce((n, v, i) => n + (v === fixture[i] ? 0 : 1), 0);
  assert.ok(differing < 0.03 * fixture.reduce((a, b) => a + b, 0), `${differing} cells differ`);
});

test('prepareAnnotation gives the low-res target and the 1024-frame input size', () => {
  const mask = referenceDisc(768, 1024);
  const rle = encodeMask(mask, 768, 1024);
  const prepared = prepareAnnotation({ annotationId: 1, imageId: 1, imageHash: 'h', originalSize: [768, 1024], bbox: rleToBbox(rle), mask: rle });
  assert.deepEqual(prepared.inputSize, [768, 1024]);
  assert.deepEqual(prepared.lowResMask, lowResTarget(mask, [768, 1024]));
});

test('annotatorPrompts keeps the clicks and the last box, ignores brush strokes, and drops prompts outside the image', () => {
  const prompts = annotatorPrompts(
    [
      { kind: 'box', x0: 1, y0: 1, x1: 5, y1: 5 },
      { kind: 'point', x: 10, y: 12, label: 1 },
      { kind: 'brush', mode: 'add', radius: 3, points: [[4, 4]] },
      { kind: 'box', x0: 2, y0: 3, x1: 30, y1: 20 },
      { kind: 'point', x: 40, y: 2, label: 0 },
    ],
    [48, 64],
  );
  assert.deepEqual(prompts, { points: [{ x: 10, y: 12, label: 1 }, { x: 40, y: 2, label: 0 }], box: [2, 3, 30, 20] });
  assert.equal(annotatorPrompts([{ kind: 'brush', mode: 'erase', radius: 2, points: [[1, 1]] }], [48, 64]), undefined);
  assert.equal(annotatorPrompts([{ kind: 'point', x: 100, y: 2, label: 1 }], [48, 64]), undefined);
});

test('collectTrainingAnnotations leaves out box-only masks from a COCO import until they are redrawn, and empty masks', async () => {
  const { project, folder } = tempProject();
  const [height, width] = [40, 60];
  await sharp({ create: { width, height, channels: 3, background: '#f0ece0' } }).png().toFile(path.join(folder, 'page.png'));
  const disc = new Uint8Array(height * width).map((_, i) => (Math.hypot((i % width) - 20, Math.floor(i / width) - 20) < 9 ? 1 : 0));
  const coco = {
    images: [{ id: 1, file_name: 'page.png', width, height }],
    categories: [{ id: 1, name: 'stamp' }],
    annotations: [
      { id: 1, image_id: 1, category_id: 1, segmentation: encodeMask(disc, height, width), iscrowd: 0 },
      { id: 2, image_id: 1, category_id: 1, bbox: [35, 5, 20, 12], iscrowd: 0 },
    ],
  };
  fs.writeFileSync(path.join(folder, 'coco.json'), JSON.stringify(coco));
  const report = await importCocoIntoProject(project, path.join(folder, 'coco.json'));
  assert.equal(report.boxMasks, 1);
  const [segmented, boxOnly] = project.annotations.listByImage(1);
  assert.deepEqual([segmented.maskFromBox, boxOnly.maskFromBox], [false, true]);

  const first = collectTrainingAnnotations(project);
  assert.deepEqual(first.usable.map((a) => a.annotationId), [segmented.id]);
  assert.deepEqual(first.skipped.map((s) => s.annotationId), [boxOnly.id]);
  assert.match(first.skipped[0].reason, /only the box/);

  // Redrawn as an ellipse inside its box, the flagged annotation teaches the decoder again.
  const ellipse = new Uint8Array(height * width).map((_, i) => (((i % width) - 45) ** 2 / 100 + (Math.floor(i / width) - 11) ** 2 / 36 <= 1 ? 1 : 0));
  const redrawn = encodeMask(ellipse, height, width);
  project.annotations.update(boxOnly.id, { shape: { mask: redrawn, bbox: rleToBbox(redrawn), area: rleArea(redrawn) } });
  const empty = encodeMask(new Uint8Array(height * width), height, width);
  const emptyId = project.annotations.create({ imageId: 1, categoryId: segmented.categoryId, mask: empty, bbox: [0, 0, 0, 0], area: 0, source: 'manual' }).id;
  const second = collectTrainingAnnotations(project);
  assert.deepEqual(second.usable.map((a) => a.annotationId), [segmented.id, boxOnly.id]);
  assert.deepEqual(second.skipped, [{ annotationId: emptyId, reason: 'its mask is empty' }]);
  assert.equal(second.usable[0].imageHash, project.images.require(1).contentHash);
  assert.deepEqual(second.usable[0].originalSize, [height, width]);
});
