import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openCheckpoint } from '../../src-main/sam/checkpoint/open-checkpoint.js';
import { loadDecoderVariables } from '../../src-main/train/decoder-weights.js';
import { loadTrainingEngine } from '../../src-main/train/engine.js';
import { predictMasks } from '../../src-main/train/mask-decoder.js';
import { caseDecoderPrompts, checkpointPath, maxAbsDiff, readReferenceFloat32, referenceImage, type ImageTag, type ReferenceCase } from '../support/sam-reference.js';

const LOGIT_TOLERANCE = 2e-3;
const IOU_TOLERANCE = 1e-3;

const engine = await loadTrainingEngine('auto');
const { tf } = engine;
const model = loadDecoderVariables(tf, await openCheckpoint(checkpointPath), { trainable: 'decoder' });

/** Runs one reference case through the TensorFlow.js decoder; returns its low-res logits and IoU predictions. */
function predictCase(tag: ImageTag, referenceCase: ReferenceCase, maskInput?: Float32Array): { logits: Float32Array; iou: Float32Array } {
  const image = referenceImage(tag);
  const { coords, labels } = caseDecoderPrompts(image, referenceCase);
  return tf.tidy(() => {
    const outputs = predictMasks(
      tf,
      model,
      {
        imageEmbeddings: tf.tensor4d(readReferenceFloat32(image.embedding.file), [1, 256, 64, 64]),
        pointCoords: tf.tensor3d(coords, [1, labels.length, 2]),
        pointLabels: tf.tensor2d(labels, [1, labels.length]),
        maskInput: maskInput ? tf.tensor4d(maskInput, [1, 1, 256, 256]) : undefined,
      },
      referenceCase.prompt.multimask_output,
    );
    assert.deepEqual(outputs.lowResLogits.shape, [1, ...referenceCase.low_res_logits.shape]);
    assert.deepEqual(outputs.iouPredictions.shape, [1, referenceCase.iou_predictions.length]);
    return { logits: new Float32Array(outputs.lowResLogits.dataSync()), iou: new Float32Array(outputs.iouPredictions.dataSync()) };
  });
}

function assertMatchesReference(t: { diagnostic(message: string): void }, tag: ImageTag, name: string, referenceCase: ReferenceCase, maskInput?: Float32Array): void {
  const { logits, iou } = predictCase(tag, referenceCase, maskInput);
  const logitDiff = maxAbsDiff(logits, readReferenceFloat32(referenceCase.low_res_logits.file));
  const iouDiff = maxAbsDiff(iou, referenceCase.iou_predictions);
  t.diagnostic(`${engine.name} ${tag} ${name}: max |logit diff| ${logitDiff.toExponential(2)}, max |iou diff| ${iouDiff.toExponential(2)}`);
  assert.ok(logitDiff < LOGIT_TOLERANCE, `${tag} ${name}: low-res logits differ by up to ${logitDiff}`);
  assert.ok(iouDiff < IOU_TOLERANCE, `${tag} ${name}: IoU predictions differ by up to ${iouDiff}`);
}

for (const tag of ['exact', 'resized'] as const) {
  const image = referenceImage(tag);

  test(`a box prompt on the ${tag} image gives PyTorch SAM's single mask and IoU`, (t) => {
    assertMatchesReference(t, tag, 'box', image.cases.box);
  });

  test(`one point on the ${tag} image gives PyTorch SAM's three multimask candidates`, (t) => {
    assertMatchesReference(t, tag, 'point', image.cases.point);
  });

  test(`a refinement round on the ${tag} image (two points and the previous logits as mask_input) matches PyTorch SAM`, (t) => {
    const refine = image.cases.point.refine!;
    const fedBack = Number(/\[(\d+)\]/.exec(refine.prompt.mask_input ?? '')?.[1]);
    assert.ok(Number.isInteger(fedBack), `the manifest names the fed-back mask: ${refine.prompt.mask_input}`);
    const firstRound = readReferenceFloat32(image.cases.point.low_res_logits.file);
    assertMatchesReference(t, tag, 'point.refine', refine, firstRound.slice(fedBack * 65536, (fedBack + 1) * 65536));
  });
}
