import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { openCheckpoint } from '../../../src-main/sam/checkpoint/open-checkpoint.js';
import { writeSafetensors } from '../../../src-main/sam/checkpoint/safetensors-writer.js';
import { concat, handMadeZip, op } from './hand-made-archives.js';
import { rejectsWith } from '../../support/errors.js';
import { testTempDir } from '../../support/temp-dir.js';
import { checkpointPath, referencePath } from '../../support/sam-reference.js';

const tempDir = testTempDir('maskloop-open-checkpoint-');

test('recognises the format by content, whatever the extension', async () => {
  const torchZipNamedBin = path.join(tempDir, 'weights.bin');
  fs.copyFileSync(checkpointPath, torchZipNamedBin);
  const safetensorsNamedPth = path.join(tempDir, 'weights.pth');
  writeSafetensors(safetensorsNamedPth, new Map([['w', { shape: [2], data: Float32Array.from([1, 2]) }]]));

  const torchZip = await openCheckpoint(torchZipNamedBin);
  assert.equal(torchZip.names().length, 202);
  assert.equal(torchZip.source, torchZipNamedBin);
  torchZip.close();
  const safetensors = await openCheckpoint(safetensorsNamedPth);
  assert.deepEqual([...safetensors.float32('w')], [1, 2]);
  safetensors.close();
});

test('a missing file is FILE_NOT_FOUND and names the path', async () => {
  const missing = path.join(tempDir, 'sam_vit_b_01ec64.pth');
  await assert.rejects(openCheckpoint(missing), rejectsWith('FILE_NOT_FOUND', new RegExp(`${missing.replaceAll('.', '\\.')} does not exist: check the path`)));
});

test('images are NOT_A_CHECKPOINT with a message that says what a checkpoint is', async () => {
  const jpeg = path.join(tempDir, 'photo.jpg');
  fs.writeFileSync(jpeg, await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c33' } }).jpeg().toBuffer());
  await assert.rejects(
    openCheckpoint(jpeg),
    rejectsWith('NOT_A_CHECKPOINT', /^photo\.jpg is not a SAM checkpoint: expected a PyTorch \.pth \(zip\) or \.safetensors file\.$/),
  );
  await assert.rejects(
    openCheckpoint(referencePath('image_exact.png')),
    rejectsWith('NOT_A_CHECKPOINT', /^image_exact\.png is not a SAM checkpoint/),
  );
});

test('a zip archive without data.pkl is NOT_A_CHECKPOINT', async () => {
  const document = path.join(tempDir, 'report.pth');
  fs.writeFileSync(document, handMadeZip([{ name: 'word/document.xml', data: new TextEncoder().encode('<w:document/>') }]));
  await assert.rejects(openCheckpoint(document), rejectsWith('NOT_A_CHECKPOINT', /report\.pth is a zip archive but not a PyTorch checkpoint \(it has no data\.pkl\)/));
});

test('a PyTorch archive without tensors is NOT_A_CHECKPOINT', async () => {
  const filePath = path.join(tempDir, 'config-only.pth');
  const pickle = concat(op.PROTO(2), op.EMPTY_DICT, op.BINUNICODE('epochs'), op.BININT1(12), op.SETITEM, op.STOP);
  fs.writeFileSync(filePath, handMadeZip([{ name: 'config-only/data.pkl', data: pickle }]));
  await assert.rejects(openCheckpoint(filePath), rejectsWith('NOT_A_CHECKPOINT', /config-only\.pth is a PyTorch file without any tensors/));
});

test('an empty file is TRUNCATED_FILE, a legacy torch file and a folder are NOT_A_CHECKPOINT', async () => {
  const empty = path.join(tempDir, 'empty.pth');
  fs.writeFileSync(empty, new Uint8Array(0));
  await assert.rejects(openCheckpoint(empty), rejectsWith('TRUNCATED_FILE', /empty\.pth is empty: the download or copy did not finish/));

  const legacy = path.join(tempDir, 'legacy.pth');
  // torch.save before 1.6 starts with a pickled magic number, not a zip header.
  fs.writeFileSync(legacy, concat(op.PROTO(2), 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, op.STOP));
  await assert.rejects(openCheckpoint(legacy), rejectsWith('NOT_A_CHECKPOINT', /legacy\.pth is in PyTorch's legacy \(pre-1\.6\) format/));

  await assert.rejects(openCheckpoint(tempDir), rejectsWith('NOT_A_CHECKPOINT', /is a folder; choose the checkpoint file inside it/));
});
