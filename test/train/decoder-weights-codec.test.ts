import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { MaskLoopError } from '../../src-main/errors.js';
import { openSafetensors } from '../../src-main/sam/checkpoint/safetensors.js';
import { decodeDecoderWeights, encodeDecoderWeights } from '../../src-main/train/decoder-weights-codec.js';
import { tempFolder } from '../store/temp-project.js';

const weights = new Map([
  ['mask_decoder.iou_token.weight', { shape: [1, 3], data: Float32Array.of(0.5, -1.25, 3e-8) }],
  ['prompt_encoder.point_embeddings.0.weight', { shape: [1, 2], data: Float32Array.of(7, -0) }],
  ['mask_decoder.mask_tokens.weight', { shape: [2, 2, 1], data: Float32Array.of(1, 2, 3, 4) }],
]);

test('decoder weights survive the round trip through bytes bit for bit, names and shapes included', () => {
  const bytes = encodeDecoderWeights(weights);
  // A view into a larger buffer at an odd offset, as SQLite may hand a blob back.
  const shifted = new Uint8Array(bytes.length + 3);
  shifted.set(bytes, 3);
  const decoded = decodeDecoderWeights(shifted.subarray(3), 'decoder version 1');
  assert.deepEqual(decoded.names(), [...weights.keys()]);
  for (const [name, { shape, data }] of weights) {
    assert.deepEqual(decoded.info(name).shape, shape);
    assert.deepEqual(decoded.float32(name), data);
  }
});

test('the bytes are a safetensors file that a safetensors reader opens', () => {
  const file = path.join(tempFolder(), 'decoder.safetensors');
  fs.writeFileSync(file, encodeDecoderWeights(weights));
  const opened = openSafetensors(file);
  try {
    assert.deepEqual(opened.names().sort(), [...weights.keys()].sort());
    assert.deepEqual(opened.float32('mask_decoder.mask_tokens.weight'), Float32Array.of(1, 2, 3, 4));
  } finally {
    opened.close();
  }
});

test('damaged bytes are refused with a message naming the version', () => {
  const bytes = encodeDecoderWeights(weights);
  for (const damaged of [bytes.subarray(0, 4), bytes.subarray(0, bytes.length - 4), Uint8Array.of(...bytes.subarray(0, 8), 0x21, ...bytes.subarray(9))]) {
    assert.throws(
      () => decodeDecoderWeights(damaged, 'decoder version 4'),
      (error: unknown) => error instanceof MaskLoopError && error.code === 'PROJECT' && /decoder version 4 are damaged/.test(error.message),
    );
  }
});
