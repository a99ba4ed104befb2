import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openCheckpoint } from '../../src-main/sam/checkpoint/open-checkpoint.js';
import { loadDecoderVariables } from '../../src-main/train/decoder-weights.js';
import { loadTrainingEngine, type EnginePreference } from '../../src-main/train/engine.js';
import type { LossConfig } from '../../src-main/train/losses.js';
import { lossAndGradients } from '../../src-main/train/train-step.js';
import { checkpointPath, maxAbs, maxAbsDiff, readReferenceFloat32, referenceImage, type ImageTag } from '../support/sam-reference.js';

/** binary_cross_entropy_with_logits(mean), the loss the reference differentiated. */
const PLAIN_BCE: LossConfig = { weights: { focal: 0, dice: 0, bce: 1, iou: 0, thresholdedMse: 0 }, bcePosWeight: 1 };
const LOSS_RELATIVE_TOLERANCE = 1e-5;
const NORM_RELATIVE_TOLERANCE = 1e-3;
/**
 * The k_proj biases' gradients are mathematically zero (softmax does not change when every key score shifts by the
 * same amount); the reference's ~1e-9 and ours are float32 rounding noise, so they get an absolute bound instead.
 */
const ZERO_GRADIENT_NORM = 1e-6;
const ZERO_GRADIENT_TOLERANCE = 1e-5;
/** Elementwise: a float32 implementation of the same sums lands within ~1e-5 of the largest entry (we see ~3e-6). */
const ELEMENT_RELATIVE_TOLERANCE = 1e-4;

const checkpoint = await openCheckpoint(checkpointPath);

async function assertGradientParity(t: { diagnostic(message: string): void }, preference: EnginePreference, tag: ImageTag): Promise<void> {
  const engine = await loadTrainingEngine(preference);
  const { tf } = engine;
  const model = loadDecoderVariables(tf, checkpoint, { trainable: 'decoder' });
  const image = referenceImage(tag);
  const sample = {
    embedding: readReferenceFloat32(image.embedding.file),
    pointCoords: Float32Array.from(image.grad.transformed_box),
    pointLabels: Float32Array.of(2, 3),
    gtMask256: readReferenceFloat32(image.gt_mask_256.file),
  };
  try {
    tf.tidy(() => {
      const { losses, gradients } = lossAndGradients(tf, model, [sample], PLAIN_BCE);
      const lossError = Math.abs(losses.total - image.grad.loss_value) / image.grad.loss_value;
      t.diagnostic(`${engine.name} ${tag}: loss ${losses.total} vs ${image.grad.loss_value} (relative ${lossError.toExponential(2)})`);
      assert.ok(lossError < LOSS_RELATIVE_TOLERANCE, `loss ${losses.total} vs reference ${image.grad.loss_value}`);

      const referenceNames = Object.keys(image.grad.grad_l2_norm).map((name) => `mask_decoder.${name}`);
      const withGradient = [...gradients.keys()].filter((name) => !name.startsWith('mask_decoder.iou_prediction_head.'));
      assert.deepEqual(withGradient.sort(), [...referenceNames].sort(), 'every mask-decoder parameter but the IoU head gets a gradient');
      let worstRelative = 0;
      let worstName = '';
      for (const [name, referenceNorm] of Object.entries(image.grad.grad_l2_norm)) {
        const norm = Math.sqrt(tf.sum(tf.square(gradients.get(`mask_decoder.${name}`)!)).dataSync()[0]);
        if (referenceNorm < ZERO_GRADIENT_NORM) {
          assert.ok(norm < ZERO_GRADIENT_TOLERANCE, `${name}: gradient norm ${norm}, mathematically zero`);
          continue;
        }
        const relative = Math.abs(norm - referenceNorm) / referenceNorm;
        if (relative > worstRelative) [worstRelative, worstName] = [relative, name];
        assert.ok(relative < NORM_RELATIVE_TOLERANCE, `${name}: gradient norm ${norm} vs reference ${referenceNorm}`);
      }
      t.diagnostic(`${engine.name} ${tag}: worst gradient-norm relative error ${worstRelative.toExponential(2)} (${worstName})`);

      for (const [name, file] of Object.entries(image.grad.grad_tensors)) {
        const reference = readReferenceFloat32(file.file);
        const gradient = gradients.get(`mask_decoder.${name}`)!;
        assert.deepEqual(gradient.shape, file.shape, `${name} has PyTorch's layout`);
        const error = maxAbsDiff(gradient.dataSync(), reference) / maxAbs(reference);
        t.diagnostic(`${engine.name} ${tag}: ${name} max |diff| / max |reference| = ${error.toExponential(2)}`);
        assert.ok(error < ELEMENT_RELATIVE_TOLERANCE, `${name}: elementwise error ${error} of the largest entry`);
      }
    });
  } finally {
    model.dispose();
  }
}

for (const tag of ['exact', 'resized'] as const) {
  test(`on the engine 'auto' picks, BCE on the ${tag} box case gives PyTorch's loss and the gradient of every decoder parameter`, async (t) => {
    await assertGradientParity(t, 'auto', tag);
  });
}

test('the pure-JavaScript cpu backend gives the same loss and gradients (exact image)', async (t) => {
  await assertGradientParity(t, 'cpu', 'exact');
});
