import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MaskLoopError } from '../../src-main/errors.js';
import { openCheckpoint } from '../../src-main/sam/checkpoint/open-checkpoint.js';
import { MemoryStateDict } from '../../src-main/sam/checkpoint/state-dict.js';
import { exportDecoderWeights, isTrainable, loadDecoderVariables } from '../../src-main/train/decoder-weights.js';
import { loadTrainingEngine } from '../../src-main/train/engine.js';
import { checkpointPath } from '../support/sam-reference.js';

const { tf } = await loadTrainingEngine('auto');
const checkpoint = await openCheckpoint(checkpointPath);
const decoderNames = checkpoint.names().filter((name) => name.startsWith('mask_decoder.') || name.startsWith('prompt_encoder.'));

test("the fixture checkpoint's decoder loads with SAM's architecture read from its tensor names and shapes", () => {
  const model = loadDecoderVariables(tf, checkpoint, { trainable: 'decoder' });
  assert.deepEqual(model.architecture, { transformerDepth: 2, numHeads: 8, numMaskTokens: 4, iouHeadDepth: 3, hypernetworkDepth: 3, inputImageSize: 1024 });
  assert.deepEqual([...model.tensors.keys()].sort(), [...decoderNames].sort());
  assert.deepEqual([...model.trainable.keys()].sort(), decoderNames.filter((name) => name.startsWith('mask_decoder.')).sort());
  model.dispose();
});

test("'heads' makes Variables of exactly the upscaling, hypernetworks and IoU head, not of the tokens that enter the transformer", () => {
  const model = loadDecoderVariables(tf, checkpoint, { trainable: 'heads' });
  const trainable = [...model.trainable.keys()];
  assert.equal(trainable.length, 6 + 4 * 6 + 3 * 2);
  assert.ok(!trainable.includes('mask_decoder.iou_token.weight') && !trainable.includes('mask_decoder.mask_tokens.weight'));
  assert.ok(trainable.every((name) => /^mask_decoder\.(output_upscaling|output_hypernetworks_mlps|iou_prediction_head)\./.test(name)));
  assert.ok(!isTrainable('mask_decoder.transformer.layers.0.mlp.lin1.weight', 'heads'));
  assert.ok(!isTrainable('prompt_encoder.no_mask_embed.weight', 'decoder'));
  model.dispose();
});

test('exported weights carry the official names, PyTorch shapes and values, and load again from a MemoryStateDict', () => {
  const model = loadDecoderVariables(tf, checkpoint, { trainable: 'decoder' });
  const exported = exportDecoderWeights(model);
  assert.deepEqual([...exported.keys()].sort(), [...decoderNames].sort());
  for (const name of ['mask_decoder.output_upscaling.0.weight', 'mask_decoder.transformer.layers.1.mlp.lin2.weight', 'prompt_encoder.pe_layer.positional_encoding_gaussian_matrix']) {
    assert.deepEqual(exported.get(name)!.shape, [...checkpoint.info(name).shape], name);
    assert.deepEqual(exported.get(name)!.data, checkpoint.float32(name), name);
  }
  const reloaded = loadDecoderVariables(tf, new MemoryStateDict('fine-tuned decoder', exported), { trainable: 'heads' });
  assert.deepEqual(reloaded.architecture, model.architecture);
  assert.deepEqual(reloaded.param('mask_decoder.mask_tokens.weight').dataSync(), checkpoint.float32('mask_decoder.mask_tokens.weight'));
  reloaded.dispose();
  model.dispose();
});

test('exported weights are a copy: training on afterwards does not change them', () => {
  const model = loadDecoderVariables(tf, checkpoint, { trainable: 'decoder' });
  const exported = exportDecoderWeights(model);
  model.trainable.get('mask_decoder.iou_token.weight')!.assign(tf.zeros([1, 256]));
  assert.deepEqual(exported.get('mask_decoder.iou_token.weight')!.data, checkpoint.float32('mask_decoder.iou_token.weight'));
  model.dispose();
});

test('a StateDict without a mask decoder is refused with NOT_SAM_WEIGHTS', () => {
  const encoderOnly = new MemoryStateDict('encoder.pth', new Map([['image_encoder.pos_embed', { shape: [1], data: Float32Array.of(0) }]]));
  assert.throws(
    () => loadDecoderVariables(tf, encoderOnly, { trainable: 'decoder' }),
    (error: unknown) => error instanceof MaskLoopError && error.code === 'NOT_SAM_WEIGHTS' && /mask_tokens/.test(error.message),
  );
});

test('disposing the variables frees every tensor they made', () => {
  const before = tf.memory().numTensors;
  loadDecoderVariables(tf, checkpoint, { trainable: 'heads' }).dispose();
  assert.equal(tf.memory().numTensors, before);
});
