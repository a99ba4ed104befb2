import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MaskLoopError } from '../../src-main/errors.js';
import { openCheckpoint } from '../../src-main/sam/checkpoint/open-checkpoint.js';
import { writeSafetensors } from '../../src-main/sam/checkpoint/safetensors-writer.js';
import { randomSamWeights, writeRandomCheckpoint } from '../../src-main/sam/random-checkpoint.js';
import { SAM_VARIANTS, assertSamWeights, samStateDictKeys, samTensorSpecs, type SamConfig } from '../../src-main/sam/variants.js';

const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-random-checkpoint-'));
after(() => fs.rmSync(tempDir, { recursive: true, force: true }));

/** A structurally complete SAM small enough for files of a few hundred kilobytes. */
const TINY_SAM: SamConfig = {
  variant: 'custom',
  encoder: {
    embedDim: 32,
    depth: 2,
    numHeads: 2,
    globalAttnIndexes: [1],
    windowSize: 2,
    patchSize: 16,
    imgSize: 64,
    outChans: 32,
    mlpRatio: 2,
    useRelPos: true,
  },
  promptEmbedDim: 32,
  imageEmbeddingSize: 4,
  maskInChans: 8,
  decoder: { transformerDepth: 1, mlpDim: 64, numHeads: 8, numMultimaskOutputs: 3, iouHeadDepth: 3, iouHeadHiddenDim: 32 },
};

function meanAndStd(values: Float32Array): [number, number] {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
  return [mean, Math.sqrt(variance)];
}

test('random weights hold every SAM tensor with its shape, the same for the same seed', () => {
  const weights = randomSamWeights(TINY_SAM, 7);
  const specs = samTensorSpecs(TINY_SAM);
  assert.deepEqual([...weights.keys()], specs.map((spec) => spec.name));
  for (const spec of specs) {
    const tensor = weights.get(spec.name);
    assert.deepEqual(tensor?.shape, spec.shape);
    assert.equal(tensor?.data.length, spec.shape.reduce((product, size) => product * size, 1));
  }
  assert.deepEqual(randomSamWeights(TINY_SAM, 7), weights);
  const otherSeed = randomSamWeights(TINY_SAM, 8);
  assert.notDeepEqual(otherSeed.get('mask_decoder.iou_token.weight')?.data, weights.get('mask_decoder.iou_token.weight')?.data);
});

test('random weights are small normals, LayerNorm scales near 1, the Fourier matrix standard normal', () => {
  const weights = randomSamWeights({ ...TINY_SAM, promptEmbedDim: 256 }, 1);
  const [weightMean, weightStd] = meanAndStd(weights.get('mask_decoder.transformer.layers.0.mlp.lin1.weight')?.data as Float32Array);
  assert.ok(Math.abs(weightMean) < 0.002 && Math.abs(weightStd - 0.02) < 0.002, `weight N(${weightMean}, ${weightStd})`);
  const [scaleMean, scaleStd] = meanAndStd(weights.get('mask_decoder.transformer.layers.0.norm1.weight')?.data as Float32Array);
  assert.ok(Math.abs(scaleMean - 1) < 0.01 && scaleStd < 0.03, `LayerNorm scale N(${scaleMean}, ${scaleStd})`);
  const [fourierMean, fourierStd] = meanAndStd(
    weights.get('prompt_encoder.pe_layer.positional_encoding_gaussian_matrix')?.data as Float32Array,
  );
  assert.ok(Math.abs(fourierMean) < 0.2 && Math.abs(fourierStd - 1) < 0.15, `Fourier matrix N(${fourierMean}, ${fourierStd})`);
});

test('a written random checkpoint reads back as the same SAM, in torch zip and safetensors form', async () => {
  const expected = randomSamWeights(TINY_SAM, 3);
  for (const fileName of ['tiny.pth', 'tiny.safetensors']) {
    const filePath = path.join(tempDir, fileName);
    writeRandomCheckpoint(filePath, TINY_SAM, 3);
    const stateDict = await openCheckpoint(filePath);
    try {
      assert.deepEqual(assertSamWeights(stateDict), TINY_SAM);
      for (const [name, tensor] of expected) assert.deepEqual(stateDict.float32(name), tensor.data, `${fileName}: ${name}`);
    } finally {
      stateDict.close();
    }
  }
  const head = fs.readFileSync(path.join(tempDir, 'tiny.pth')).subarray(0, 4);
  assert.deepEqual([...head], [0x50, 0x4b, 0x03, 0x04]);
});

test('a safetensors file with only the decoder is rejected as NOT_SAM_WEIGHTS, naming what is missing', async () => {
  const filePath = path.join(tempDir, 'decoder-only.safetensors');
  const decoderOnly = new Map([...randomSamWeights(TINY_SAM, 5)].filter(([name]) => name.startsWith('mask_decoder.')));
  writeSafetensors(filePath, decoderOnly);
  const stateDict = await openCheckpoint(filePath);
  try {
    assert.throws(
      () => assertSamWeights(stateDict),
      (error) =>
        error instanceof MaskLoopError &&
        error.code === 'NOT_SAM_WEIGHTS' &&
        new RegExp(
          `decoder-only\\.safetensors does not hold SAM weights .*: ${samStateDictKeys(SAM_VARIANTS.vit_b).filter((name) => !decoderOnly.has(name)).length} of SAM's tensors are missing \\(image_encoder\\.pos_embed, .* and \\d+ more\\)`,
        ).test(error.message),
    );
  } finally {
    stateDict.close();
  }
});
