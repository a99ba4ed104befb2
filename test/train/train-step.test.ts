import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MaskLoopError } from '../../src-main/errors.js';
import { openCheckpoint } from '../../src-main/sam/checkpoint/open-checkpoint.js';
import { SAM_VARIANTS, type SamConfig } from '../../src-main/sam/variants.js';
import { loadDecoderVariables, randomDecoderWeights } from '../../src-main/train/decoder-weights.js';
import { loadTrainingEngine } from '../../src-main/train/engine.js';
import { LOSS_PRESETS } from '../../src-main/train/losses.js';
import { DecoderOptimizer, DEFAULT_OPTIMIZER, lossAndGradients, trainStep, type OptimizerSettings, type TrainingSample } from '../../src-main/train/train-step.js';
import { checkpointPath, readReferenceFloat32, referenceImage } from '../support/sam-reference.js';

const { tf } = await loadTrainingEngine('auto');

/** A decoder of SAM's structure but 8x narrower, on a 4x4 embedding grid: every code path, milliseconds a step. */
const SMALL_CONFIG: SamConfig = { ...SAM_VARIANTS.vit_b, variant: 'custom', promptEmbedDim: 32, maskInChans: 4, decoder: { ...SAM_VARIANTS.vit_b.decoder, mlpDim: 64, iouHeadHiddenDim: 32 } };
const SMALL_GRID = 4;

function smallSamples(): TrainingSample[] {
  const pixels = 16 * SMALL_GRID * SMALL_GRID;
  const embedding = Float32Array.from({ length: 32 * SMALL_GRID * SMALL_GRID }, (_, i) => Math.sin(0.7 * i));
  const gtMask256 = Float32Array.from({ length: pixels }, (_, i) => (i % 16 > 4 && i % 16 < 12 && i > 64 && i < 200 ? 1 : 0));
  return [
    { embedding, pointCoords: Float32Array.of(300, 250, 750, 800), pointLabels: Float32Array.of(2, 3), gtMask256 },
    { embedding, pointCoords: Float32Array.of(500, 500, 0, 0), pointLabels: Float32Array.of(1, -1), gtMask256, multimask: true },
    { embedding, pointCoords: Float32Array.of(500, 500, 100, 900, 0, 0), pointLabels: Float32Array.of(1, 0, -1), gtMask256, maskInput: gtMask256.map((v) => 4 * v - 2) },
  ];
}

test('training steps on a mixed batch (box, multimask point, mask_input) leak no tensors', () => {
  const model = loadDecoderVariables(tf, randomDecoderWeights(SMALL_CONFIG, 5), { trainable: 'decoder' });
  const optimizer = new DecoderOptimizer(tf, model.trainable, DEFAULT_OPTIMIZER);
  const samples = smallSamples();
  trainStep(tf, model, optimizer, samples, LOSS_PRESETS.sam);
  const after = { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes };
  for (let step = 0; step < 5; step++) {
    const losses = trainStep(tf, model, optimizer, samples, LOSS_PRESETS.sam);
    assert.ok(Number.isFinite(losses.total));
    assert.deepEqual({ tensors: tf.memory().numTensors, bytes: tf.memory().numBytes }, after, `after step ${step + 2}`);
  }
  assert.equal(optimizer.steps, 6);
  optimizer.dispose();
  model.dispose();
});

test("'heads' trains only the upscaling, hypernetworks and IoU head; the transformer and the output tokens stay as loaded", () => {
  const weights = randomDecoderWeights(SMALL_CONFIG, 6);
  const model = loadDecoderVariables(tf, weights, { trainable: 'heads' });
  const optimizer = new DecoderOptimizer(tf, model.trainable, { ...DEFAULT_OPTIMIZER, learningRate: 1e-2 });
  trainStep(tf, model, optimizer, smallSamples(), LOSS_PRESETS['bce-dice']);
  const changed = (name: string): boolean => !model.param(name).dataSync().every((v, i) => v === weights.float32(name)[i]);
  assert.ok(changed('mask_decoder.output_upscaling.0.weight'));
  assert.ok(changed('mask_decoder.output_hypernetworks_mlps.0.layers.0.weight'));
  assert.ok(!changed('mask_decoder.mask_tokens.weight'));
  assert.ok(changed('mask_decoder.iou_prediction_head.layers.2.bias'));
  assert.ok(!changed('mask_decoder.transformer.layers.0.self_attn.q_proj.weight'));
  assert.ok(!changed('prompt_encoder.no_mask_embed.weight'));
  optimizer.dispose();
  model.dispose();
});

/** PyTorch's AdamW / Adam(weight_decay) update for one parameter, in float64. */
function torchAdam(settings: OptimizerSettings, parameter: number[], gradients: number[][]): number[] {
  const { learningRate: lr, weightDecay: wd, beta1, beta2, epsilon } = settings;
  const p = [...parameter];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  gradients.forEach((gradient, index) => {
    const step = index + 1;
    for (let i = 0; i < p.length; i++) {
      let g = gradient[i];
      if (settings.kind === 'adamw') p[i] *= 1 - lr * wd;
      else g += wd * p[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      const denominator = Math.sqrt(v[i]) / Math.sqrt(1 - beta2 ** step) + epsilon;
      p[i] -= (lr / (1 - beta1 ** step)) * (m[i] / denominator);
    }
  });
  return p;
}

for (const kind of ['adamw', 'adam'] as const) {
  test(`${kind} updates a parameter exactly as torch.optim.${kind === 'adamw' ? 'AdamW' : 'Adam'} with weight decay`, () => {
    const settings: OptimizerSettings = { ...DEFAULT_OPTIMIZER, kind, learningRate: 0.1, weightDecay: 0.05 };
    const variable = tf.variable(tf.tensor1d([1, -2, 0.5]));
    const optimizer = new DecoderOptimizer(tf, new Map([['w', variable]]), settings);
    const gradients = [
      [0.3, -0.1, 2],
      [-0.2, 0.4, 1],
      [0.1, 0.1, -3],
    ];
    for (const gradient of gradients) tf.tidy(() => optimizer.apply(new Map([['w', tf.tensor1d(gradient)]])));
    const expected = torchAdam(settings, [1, -2, 0.5], gradients);
    [...variable.dataSync()].forEach((value, i) => assert.ok(Math.abs(value - expected[i]) < 1e-6, `${value} vs ${expected[i]}`));
    optimizer.dispose();
    variable.dispose();
  });
}

test('a sample whose embedding is corrupt fails with a TRAINING error that says what to do, and changes nothing', () => {
  const model = loadDecoderVariables(tf, randomDecoderWeights(SMALL_CONFIG, 7), { trainable: 'decoder' });
  const optimizer = new DecoderOptimizer(tf, model.trainable, DEFAULT_OPTIMIZER);
  const [good] = smallSamples();
  const before = { tensors: tf.memory().numTensors, value: model.param('mask_decoder.iou_token.weight').dataSync().slice() };
  assert.throws(
    () => trainStep(tf, model, optimizer, [good, { ...good, embedding: good.embedding.subarray(0, 100) }], LOSS_PRESETS.sam),
    (error: unknown) => error instanceof MaskLoopError && error.code === 'TRAINING' && /embedding/.test(error.message) && /Recompute/.test(error.message),
  );
  assert.throws(() => trainStep(tf, model, optimizer, [], LOSS_PRESETS.sam), (error: unknown) => error instanceof MaskLoopError && error.code === 'TRAINING');
  assert.equal(tf.memory().numTensors, before.tensors);
  assert.deepEqual(model.param('mask_decoder.iou_token.weight').dataSync(), before.value);
  assert.equal(optimizer.steps, 0);
  optimizer.dispose();
  model.dispose();
});

test('20 AdamW steps of BCE + dice on one fixture sample (the real-size decoder) lower its loss', async () => {
  const model = loadDecoderVariables(tf, await openCheckpoint(checkpointPath), { trainable: 'decoder' });
  const image = referenceImage('exact');
  const sample: TrainingSample = {
    embedding: readReferenceFloat32(image.embedding.file),
    pointCoords: Float32Array.from(image.grad.transformed_box),
    pointLabels: Float32Array.of(2, 3),
    gtMask256: readReferenceFloat32(image.gt_mask_256.file),
  };
  const maskLoss = (): number =>
    tf.tidy(() => {
      const { terms } = lossAndGradients(tf, model, [sample], LOSS_PRESETS['bce-dice']).losses;
      return tf.scalar(terms.bce! + terms.dice!);
    }).dataSync()[0];
  const optimizer = new DecoderOptimizer(tf, model.trainable, DEFAULT_OPTIMIZER);
  const before = maskLoss();
  for (let step = 0; step < 20; step++) trainStep(tf, model, optimizer, [sample], LOSS_PRESETS['bce-dice']);
  const after = maskLoss();
  assert.ok(after < 0.95 * before, `BCE + dice went from ${before} to ${after}`);
  optimizer.dispose();
  model.dispose();
});
