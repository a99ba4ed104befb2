import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MaskLoopError } from '../../src-main/errors.js';
import { HELD_OUT_FRACTION, splitHeldOut, splitSeedFor, storedSplitSeed, storeSplitSeed } from '../../src-main/train/held-out-split.js';
import type { TrainingAnnotation } from '../../src-main/train/samples.js';
import { tempProject } from '../store/temp-project.js';

/** `perImage` annotations on each of images 1..imageCount; only the ids matter to the split. */
function annotations(imageCount: number, perImage = 2): TrainingAnnotation[] {
  return Array.from({ length: imageCount * perImage }, (_, i) => ({
    annotationId: i + 1,
    imageId: Math.floor(i / perImage) + 1,
    imageHash: `hash-${Math.floor(i / perImage) + 1}`,
    originalSize: [10, 10],
    bbox: [0, 0, 5, 5],
    mask: { counts: 'x', size: [10, 10] },
  }));
}

const imagesOf = (items: readonly TrainingAnnotation[]) => new Set(items.map((a) => a.imageId));

test('whole images go to one side, about a fifth of them held out, the same for the same seed', () => {
  const all = annotations(200);
  const split = splitHeldOut(all, 42);
  const [train, heldOut] = [imagesOf(split.train), imagesOf(split.heldOut)];
  assert.equal([...heldOut].filter((id) => train.has(id)).length, 0);
  assert.equal(split.train.length + split.heldOut.length, all.length);
  assert.ok(Math.abs(heldOut.size / 200 - HELD_OUT_FRACTION) < 0.07, `${heldOut.size} of 200 images held out`);
  assert.deepEqual(splitHeldOut(all, 42), split);
  assert.notDeepEqual(splitHeldOut(all, 43).heldOut, split.heldOut);
});

test('an image keeps its side when images are added or removed', () => {
  const before = splitHeldOut(annotations(50), 7);
  const after = splitHeldOut(annotations(80), 7);
  const heldOutBefore = imagesOf(before.heldOut);
  const heldOutAfter = imagesOf(after.heldOut);
  for (let imageId = 1; imageId <= 50; imageId++) assert.equal(heldOutAfter.has(imageId), heldOutBefore.has(imageId), `image ${imageId}`);
});

test('with few images both sides still get one', () => {
  for (let seed = 0; seed < 30; seed++) {
    const split = splitHeldOut(annotations(2, 3), seed);
    assert.equal(imagesOf(split.train).size, 1);
    assert.equal(imagesOf(split.heldOut).size, 1);
  }
});

test('too few masks or images are refused with what is missing', () => {
  const refused = (items: TrainingAnnotation[], pattern: RegExp) =>
    assert.throws(() => splitHeldOut(items, 1), (error: unknown) => error instanceof MaskLoopError && error.code === 'TRAINING' && pattern.test(error.message));
  refused([], /at least 5 accepted masks on at least 2 images.*has 0 usable masks on 0 images\. Accept 5 more masks, on at least 2 images in all, and train again/);
  refused(annotations(1, 1), /has 1 usable mask on 1 image\. Accept 4 more masks, on at least 2 images in all, and train again/);
  refused(annotations(1, 6), /has 6 usable masks on 1 image\. Accept masks on 1 more image and train again/);
  refused(annotations(4, 1), /Accept 1 more mask and train again/);
  assert.doesNotThrow(() => splitHeldOut(annotations(5, 1), 1));
});

test('the seed is stored in the project settings once, and read back', () => {
  const { project } = tempProject();
  assert.equal(storedSplitSeed(project), undefined);
  const seed = splitSeedFor(project);
  assert.ok(Number.isInteger(seed) && seed >= 0);
  assert.equal(storedSplitSeed(project), undefined, 'choosing a seed writes nothing');
  storeSplitSeed(project, seed);
  assert.equal(storedSplitSeed(project), seed);
  assert.equal(splitSeedFor(project), seed);
  assert.equal(project.settings().embeddingCacheBudgetBytes, 2 * 1024 ** 3, 'other settings are kept');
});
