import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openCheckpoint } from '../../src-main/sam/checkpoint/open-checkpoint.js';
import type { StateDict, TensorInfo } from '../../src-main/sam/checkpoint/state-dict.js';
import {
  SAM_VARIANTS,
  assertSamWeights,
  inferSamConfig,
  samStateDictKeys,
  samTensorSpecs,
  type SamConfig,
} from '../../src-main/sam/variants.js';
import { rejectsWith } from '../support/errors.js';
import { checkpointPath, manifest, type ReferenceConfig } from '../support/sam-reference.js';

/** Tensor shapes without data: enough for inferSamConfig, which never reads values. */
class ShapeOnlyStateDict implements StateDict {
  readonly source: string;
  private readonly shapes: Map<string, readonly number[]>;

  constructor(source: string, shapes: Iterable<[string, readonly number[]]>) {
    this.source = source;
    this.shapes = new Map(shapes);
  }

  names(): string[] {
    return [...this.shapes.keys()];
  }

  has(name: string): boolean {
    return this.shapes.has(name);
  }

  info(name: string): TensorInfo {
    return { name, dtype: 'float32', shape: this.shapes.get(name) as readonly number[] };
  }

  float32(): Float32Array {
    throw new Error('ShapeOnlyStateDict has no values');
  }

  close(): void {}
}

function shapesOf(config: SamConfig): [string, readonly number[]][] {
  return samTensorSpecs(config).map((spec) => [spec.name, spec.shape]);
}

function samConfigFromManifest(config: ReferenceConfig): SamConfig {
  return {
    variant: 'custom',
    encoder: {
      embedDim: config.encoder_embed_dim,
      depth: config.encoder_depth,
      numHeads: config.encoder_num_heads,
      globalAttnIndexes: config.encoder_global_attn_indexes,
      windowSize: config.window_size,
      patchSize: config.patch_size,
      imgSize: config.img_size,
      outChans: config.out_chans,
      mlpRatio: config.mlp_ratio,
      useRelPos: true,
    },
    promptEmbedDim: config.prompt_embed_dim,
    imageEmbeddingSize: config.img_size / config.patch_size,
    maskInChans: config.mask_in_chans,
    decoder: {
      transformerDepth: config.decoder.transformer_depth,
      mlpDim: config.decoder.mlp_dim,
      numHeads: config.decoder.num_heads,
      numMultimaskOutputs: config.decoder.num_multimask_outputs,
      iouHeadDepth: config.decoder.iou_head_depth,
      iouHeadHiddenDim: config.decoder.iou_head_hidden_dim,
    },
  };
}

test('the variant table holds build_sam.py sizes', () => {
  const encoders = Object.fromEntries(
    Object.entries(SAM_VARIANTS).map(([name, config]) => [
      name,
      [config.encoder.embedDim, config.encoder.depth, config.encoder.numHeads, config.encoder.globalAttnIndexes],
    ]),
  );
  assert.deepEqual(encoders, {
    vit_b: [768, 12, 12, [2, 5, 8, 11]],
    vit_l: [1024, 24, 16, [5, 11, 17, 23]],
    vit_h: [1280, 32, 16, [7, 15, 23, 31]],
  });
  for (const config of Object.values(SAM_VARIANTS)) {
    assert.equal(config.encoder.windowSize, 14);
    assert.equal(config.imageEmbeddingSize, 64);
    assert.deepEqual(config.decoder, {
      transformerDepth: 2,
      mlpDim: 2048,
      numHeads: 8,
      numMultimaskOutputs: 3,
      iouHeadDepth: 3,
      iouHeadHiddenDim: 256,
    });
  }
});

test('the expected tensors add up to the published parameter counts of vit_b and vit_h', () => {
  // SAM reports 93,735,472 (vit_b) and 641,090,608 (vit_h) parameters; the state_dict also holds the prompt
  // encoder's Fourier matrix [2, 128], a buffer of 256 values.
  const values = (config: SamConfig): number =>
    samTensorSpecs(config).reduce((sum, spec) => sum + spec.shape.reduce((product, size) => product * size, 1), 0);
  assert.equal(values(SAM_VARIANTS.vit_b), 93_735_472 + 256);
  assert.equal(values(SAM_VARIANTS.vit_h), 641_090_608 + 256);
  assert.equal(samStateDictKeys(SAM_VARIANTS.vit_b).length, 314);
});

test('the fixture checkpoint infers exactly the configuration in manifest.json', async () => {
  const stateDict = await openCheckpoint(checkpointPath);
  try {
    assert.deepEqual(inferSamConfig(stateDict), samConfigFromManifest(manifest.config));
    assert.equal(assertSamWeights(stateDict).variant, 'custom');
    assert.deepEqual(stateDict.names(), samStateDictKeys(inferSamConfig(stateDict)));
  } finally {
    stateDict.close();
  }
});

test('vit_b, vit_l and vit_h shapes are recognised as their variants', () => {
  for (const [name, config] of Object.entries(SAM_VARIANTS)) {
    const inferred = inferSamConfig(new ShapeOnlyStateDict(`sam_${name}.pth`, shapesOf(config)));
    assert.equal(inferred.variant, name);
    assert.deepEqual(inferred, config);
  }
});

test('a vit_b with one more block is a custom configuration, not vit_b', () => {
  const deeper: SamConfig = { ...SAM_VARIANTS.vit_b, variant: 'custom', encoder: { ...SAM_VARIANTS.vit_b.encoder, depth: 13 } };
  const inferred = inferSamConfig(new ShapeOnlyStateDict('deeper.pth', shapesOf(deeper)));
  assert.equal(inferred.variant, 'custom');
  assert.equal(inferred.encoder.depth, 13);
  assert.deepEqual(inferred.encoder.globalAttnIndexes, [2, 5, 8, 11]);
});

test('rejects weights that are not SAM, naming the first missing tensors and how many more', () => {
  const other = new ShapeOnlyStateDict('resnet.pth', [
    ['conv1.weight', [64, 3, 7, 7]],
    ['fc.weight', [1000, 2048]],
  ]);
  assert.throws(() => inferSamConfig(other), rejectsWith('NOT_SAM_WEIGHTS', /resnet\.pth does not hold SAM weights.*conv1\.weight/));
  assert.throws(
    () => assertSamWeights(other),
    rejectsWith('NOT_SAM_WEIGHTS', /314 of SAM's tensors are missing \(image_encoder\.pos_embed, image_encoder\.patch_embed\.proj\.weight, .* and 304 more\)/),
  );
});

test('rejects a SAM checkpoint with missing and wrongly shaped tensors, naming them', () => {
  const shapes = new Map(shapesOf(SAM_VARIANTS.vit_b));
  shapes.delete('mask_decoder.iou_token.weight');
  shapes.set('mask_decoder.mask_tokens.weight', [4, 128]);
  assert.throws(
    () => assertSamWeights(new ShapeOnlyStateDict('broken.pth', shapes)),
    rejectsWith(
      'NOT_SAM_WEIGHTS',
      /broken\.pth is not a complete SAM checkpoint: 1 of SAM's tensors are missing \(mask_decoder\.iou_token\.weight\); 1 have the wrong shape \(mask_decoder\.mask_tokens\.weight is \[4, 128\] instead of \[4, 256\]\)/,
    ),
  );
});

test('rejects SAM-like weights without relative positions, whose heads cannot be inferred', () => {
  const withoutRelPos: SamConfig = { ...SAM_VARIANTS.vit_b, encoder: { ...SAM_VARIANTS.vit_b.encoder, useRelPos: false } };
  assert.throws(
    () => inferSamConfig(new ShapeOnlyStateDict('abs.pth', shapesOf(withoutRelPos))),
    rejectsWith('NOT_SAM_WEIGHTS', /abs\.pth has no image_encoder\.blocks\.0\.attn\.rel_pos_h/),
  );
});
