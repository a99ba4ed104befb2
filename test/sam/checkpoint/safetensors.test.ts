import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openCheckpoint } from '../../../src-main/sam/checkpoint/open-checkpoint.js';
import { writeSafetensors } from '../../../src-main/sam/checkpoint/safetensors-writer.js';
import { concat, u64 } from './hand-made-archives.js';
import { rejectsWith } from '../../support/errors.js';
import { testTempDir } from '../../support/temp-dir.js';
import { withCheckpoint } from './with-checkpoint.js';

const tempDir = testTempDir('maskloop-safetensors-');

/** A safetensors file written by hand: 8-byte header length, the JSON header as given, then the data bytes. */
function handMadeSafetensors(fileName: string, header: unknown, data: Uint8Array): string {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const filePath = path.join(tempDir, fileName);
  fs.writeFileSync(filePath, concat(u64(json.length), json, data));
  return filePath;
}

test('round-trips float32, float16 and bfloat16 safetensors', async () => {
  const tensors = new Map([
    ['image_encoder.neck.1.weight', { shape: [2, 2], data: Float32Array.from([1, -0.5, 0.1, 2048]) }],
    ['bias', { shape: [1], data: Float32Array.from([-3]) }],
  ]);
  const expected = {
    float32: [1, -0.5, Math.fround(0.1), 2048],
    float16: [1, -0.5, 0.0999755859375, 2048],
    bfloat16: [1, -0.5, 0.10009765625, 2048],
  };
  for (const dtype of ['float32', 'float16', 'bfloat16'] as const) {
    const filePath = path.join(tempDir, `round-trip-${dtype}.safetensors`);
    writeSafetensors(filePath, tensors, { dtype });
    const headerLength = Number(fs.readFileSync(filePath).readBigUInt64LE(0));
    assert.equal((8 + headerLength) % 8, 0, 'tensor data starts 8-byte aligned');
    await withCheckpoint(filePath, (stateDict) => {
      assert.deepEqual(stateDict.names(), ['image_encoder.neck.1.weight', 'bias']);
      assert.deepEqual(stateDict.info('image_encoder.neck.1.weight'), { name: 'image_encoder.neck.1.weight', dtype, shape: [2, 2] });
      assert.deepEqual([...stateDict.float32('image_encoder.neck.1.weight')], expected[dtype]);
      assert.deepEqual([...stateDict.float32('bias')], [-3]);
    });
  }
});

test('reads F64 tensors, skips __metadata__ and strips a "module." prefix', async () => {
  const values = new Float64Array([0.25, -1e-3, 123456.789]);
  const filePath = handMadeSafetensors(
    'f64.safetensors',
    {
      __metadata__: { format: 'pt' },
      'module.pe': { dtype: 'F64', shape: [3], data_offsets: [0, 24] },
    },
    new Uint8Array(values.buffer),
  );
  await withCheckpoint(filePath, (stateDict) => {
    assert.deepEqual(stateDict.names(), ['pe']);
    assert.deepEqual([...stateDict.float32('pe')], [...Float32Array.from(values)]);
  });
});

test('rejects a tensor dtype it cannot convert as UNSUPPORTED_TENSOR', async () => {
  const filePath = handMadeSafetensors('int8.safetensors', { q: { dtype: 'I8', shape: [4], data_offsets: [0, 4] } }, new Uint8Array(4));
  await assert.rejects(openCheckpoint(filePath), rejectsWith('UNSUPPORTED_TENSOR', /int8\.safetensors stores tensor q as I8, which MaskLoop cannot read/));
});

test('rejects a safetensors file cut short as TRUNCATED_FILE', async () => {
  const whole = path.join(tempDir, 'whole.safetensors');
  writeSafetensors(whole, new Map([['w', { shape: [100], data: new Float32Array(100) }]]));
  const bytes = fs.readFileSync(whole);
  const cutInData = path.join(tempDir, 'cut-in-data.safetensors');
  fs.writeFileSync(cutInData, bytes.subarray(0, bytes.length - 4));
  await assert.rejects(openCheckpoint(cutInData), rejectsWith('TRUNCATED_FILE', /cut-in-data\.safetensors is incomplete: tensor w reaches past the end/));
  const cutInHeader = path.join(tempDir, 'cut-in-header.safetensors');
  fs.writeFileSync(cutInHeader, bytes.subarray(0, 20));
  await assert.rejects(openCheckpoint(cutInHeader), rejectsWith('TRUNCATED_FILE', /cut-in-header\.safetensors is incomplete: its safetensors header/));
});

test('rejects a header whose offsets do not match the shape as NOT_A_CHECKPOINT', async () => {
  const filePath = handMadeSafetensors('bad.safetensors', { w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 8] } }, new Uint8Array(16));
  await assert.rejects(openCheckpoint(filePath), rejectsWith('NOT_A_CHECKPOINT', /bad\.safetensors has an invalid safetensors header \(tensor w: data_offsets do not match/));
});
