import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadRgbImage } from '../../src-main/sam/image-io.js';
import { ImagePredictor } from '../../src-main/sam/predictor.js';
import { SamModel, type ImageEmbedding } from '../../src-main/sam/sam-model.js';
import {
  CASE_NAMES,
  casePrompts,
  checkpointPath,
  manifest,
  maxAbsDiff,
  readReferenceFloat32,
  referencePath,
  type ImageTag,
} from '../support/sam-reference.js';

const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-model-cache-'));
let model: SamModel;
const embeddings = new Map<ImageTag, ImageEmbedding>();

before(async () => {
  model = await SamModel.load({ checkpoint: checkpointPath }, { cacheDir });
  for (const tag of ['exact', 'resized'] as const) {
    embeddings.set(tag, await model.embed(await loadRgbImage(referencePath(manifest.images[tag].file))));
  }
});
after(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

test('the fixture checkpoint embeds both images as PyTorch SAM does', () => {
  for (const tag of ['exact', 'resized'] as const) {
    const diff = maxAbsDiff(embeddings.get(tag)!.data, readReferenceFloat32(manifest.images[tag].embedding.file));
    assert.ok(diff < 2e-3, `${tag}: embedding max |diff| ${diff}`);
  }
});

for (const tag of ['exact', 'resized'] as const) {
  for (const name of CASE_NAMES) {
    test(`${tag} ${name}: low-res logits and IoU predictions match the reference`, async () => {
      const reference = manifest.images[tag].cases[name];
      const prediction = await model.decode(embeddings.get(tag)!, casePrompts(reference), { multimask: reference.prompt.multimask_output });
      const expected = readReferenceFloat32(reference.low_res_logits.file);
      const lowRes = new Float32Array(prediction.lowResLogits.length * 65536);
      prediction.lowResLogits.forEach((logits, k) => lowRes.set(logits, k * 65536));
      assert.ok(maxAbsDiff(lowRes, expected) < 2e-3, `low-res max |diff| ${maxAbsDiff(lowRes, expected)}`);
      assert.ok(maxAbsDiff(prediction.iouPredictions, reference.iou_predictions) < 1e-3);
      if (reference.mask_positive_pixels) {
        const positives = prediction.masks.map((m) => m.reduce((n, v) => (v > 0 ? n + 1 : n), 0));
        positives.forEach((n, k) => assert.ok(Math.abs(n - reference.mask_positive_pixels![k]) <= 20, `mask ${k}: ${n} positive pixels`));
      }
    });
  }

  test(`${tag}: masks at the original size match masks_logits, and the refine round feeds the previous logits back`, async () => {
    const point = manifest.images[tag].cases.point;
    const predictor = new ImagePredictor(model, embeddings.get(tag)!);
    const first = await predictor.predict(casePrompts(point), { multimask: true });
    const [h, w] = manifest.images[tag].original_size;
    const masks = new Float32Array(3 * h * w);
    first.masks.forEach((m, k) => masks.set(m, k * h * w));
    assert.ok(maxAbsDiff(masks, readReferenceFloat32(point.masks_logits!.file)) < 2e-3);

    const refine = point.refine!;
    const second = await predictor.predict(casePrompts(refine), { multimask: false, usePreviousMask: true, previousMaskIndex: 2 });
    assert.ok(maxAbsDiff(second.lowResLogits[0], readReferenceFloat32(refine.low_res_logits.file)) < 2e-3);
    assert.ok(Math.abs(second.iouPredictions[0] - refine.iou_predictions[0]) < 1e-3);
  });
}

test('the second load reuses the built graphs from the cache', async () => {
  const files = fs.readdirSync(path.join(cacheDir, 'models'));
  assert.equal(files.length, 1);
  const metaFile = path.join(cacheDir, 'models', files[0], 'meta.json');
  const builtAt = fs.statSync(metaFile).mtimeMs;
  const again = await SamModel.load({ checkpoint: checkpointPath }, { cacheDir });
  assert.equal(again.id, model.id);
  assert.equal(fs.statSync(metaFile).mtimeMs, builtAt);
});

test('the official ONNX decoder from the fixtures loads as a model pair and agrees with the built decoder', async () => {
  const files = fs.readdirSync(path.join(cacheDir, 'models'));
  const encoderOnnx = path.join(cacheDir, 'models', files[0], 'image_encoder.onnx');
  const official = await SamModel.load({ encoderOnnx, decoderOnnx: referencePath(manifest.official_onnx_decoder) }, { cacheDir });
  const box = manifest.images.exact.cases.box;
  const ours = await model.decode(embeddings.get('exact')!, casePrompts(box), { multimask: false });
  const theirs = await official.decode(embeddings.get('exact')!, casePrompts(box), { multimask: false });
  assert.ok(maxAbsDiff(ours.lowResLogits[0], theirs.lowResLogits[0]) < 1e-4);
  assert.ok(maxAbsDiff(ours.masks[0], theirs.masks[0]) < 1e-4);
});

test('prompts outside the image or empty are refused with a clear message', async () => {
  const embedding = embeddings.get('exact')!;
  await assert.rejects(model.decode(embedding, { points: [{ x: 2000, y: 5, label: 1 }] }, { multimask: true }), {
    code: 'PROMPT_OUTSIDE_IMAGE',
    message: 'The point (2000, 5) is outside the 1024x768 image.',
  });
  await assert.rejects(model.decode(embedding, { points: [] }, { multimask: true }), { code: 'INVALID_PROMPT' });
  await assert.rejects(model.decode(embedding, { points: [], box: [50, 50, 10, 80] }, { multimask: false }), /x1 > x0/);
});
