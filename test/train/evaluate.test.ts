import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeMask, rleToBbox } from '../../src-main/coco/rle.js';
import { openCheckpoint } from '../../src-main/sam/checkpoint/open-checkpoint.js';
import { lowResToBinaryMask } from '../../src-main/sam/postprocess.js';
import { loadDecoderVariables } from '../../src-main/train/decoder-weights.js';
import { loadTrainingEngine } from '../../src-main/train/engine.js';
import { deepestPoint, evaluateHeldOut, evaluationPrompts, maskIoU, predictLowRes } from '../../src-main/train/evaluate.js';
import { framePrompt } from '../../src-main/train/prompt-simulation.js';
import { prepareAnnotation } from '../../src-main/train/samples.js';
import { checkpointPath, maxAbsDiff, readReferenceFloat32, referenceImage } from '../support/sam-reference.js';

const { tf } = await loadTrainingEngine('auto');

/** The reference image's stamp (a disc of radius 138.5 around (634, 422)) as an annotation of the 1024x768 image. */
function referenceStamp() {
  const [height, width] = [768, 1024];
  const mask = new Uint8Array(height * width).map((_, i) => (Math.hypot((i % width) - 634, Math.floor(i / width) - 422) <= 138.5 ? 1 : 0));
  const rle = encodeMask(mask, height, width);
  return { mask, annotation: prepareAnnotation({ annotationId: 1, imageId: 1, imageHash: 'exact', originalSize: [height, width], bbox: rleToBbox(rle), mask: rle }) };
}

test('the deepest point of a disc is its centre, in the 1024 frame', () => {
  const { annotation } = referenceStamp();
  const [x, y] = deepestPoint(annotation.lowResMask);
  assert.ok(Math.hypot(x - 634, y - 422) <= 6, `${x}, ${y}`);
});

test('maskIoU counts intersection over union, and two empty masks agree', () => {
  assert.equal(maskIoU(Uint8Array.of(1, 1, 0, 0), Uint8Array.of(0, 1, 1, 0)), 1 / 3);
  assert.equal(maskIoU(new Uint8Array(4), new Uint8Array(4)), 1);
});

test("held-out IoU asks the decoder the fixed prompts and scores SAM's post-processed mask; repeated runs agree", async () => {
  const model = loadDecoderVariables(tf, await openCheckpoint(checkpointPath), { trainable: 'heads' });
  const image = referenceImage('exact');
  const embedding = readReferenceFloat32(image.embedding.file);
  const { mask, annotation } = referenceStamp();

  // The decoder path is the reference's: the fixture's box case gives its logits.
  const box = image.cases.box.prompt.box!;
  const logits = predictLowRes(tf, model, embedding, framePrompt({ points: [], box }, [768, 1024], false));
  assert.ok(maxAbsDiff(logits, readReferenceFloat32(image.cases.box.low_res_logits.file)) < 2e-3);

  const prompts = evaluationPrompts(annotation);
  assert.deepEqual([...prompts.box.pointLabels], [2, 3]);
  assert.deepEqual([...prompts.point.pointLabels], [1, -1]);
  const expected = (['box', 'point'] as const).map((kind) =>
    maskIoU(lowResToBinaryMask(predictLowRes(tf, model, embedding, prompts[kind]), 1, 0, [768, 1024], [768, 1024]), mask),
  );
  const metrics = evaluateHeldOut(tf, model, [annotation], () => embedding)!;
  assert.deepEqual(metrics.byPrompt, { box: expected[0], point: expected[1] });
  assert.equal(metrics.meanIoU, (expected[0] + expected[1]) / 2);
  assert.equal(metrics.annotations, 1);
  assert.deepEqual(evaluateHeldOut(tf, model, [annotation], () => embedding), metrics);
  assert.equal(evaluateHeldOut(tf, model, [annotation], () => embedding, () => true), undefined, 'a stop request ends it');
  model.dispose();
});
