import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { loadRgbImage, readImageSize } from '../../src-main/sam/image-io.js';
import { MaskLoopError, type MaskLoopErrorCode } from '../../src-main/errors.js';
import { referencePath } from '../support/sam-reference.js';


let tempDir = '';
before(() => {
  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'maskloop-image-io-'));
});
after(() => {
  fs.rmSync(tempDir, { recursive: true, force: true });
});

function failsWith(code: MaskLoopErrorCode, messagePart?: string) {
  return (error: unknown) => error instanceof MaskLoopError && error.code === code && (!messagePart || error.message.includes(messagePart));
}

function pixel(image: { width: number; data: Uint8Array }, x: number, y: number): number[] {
  const p = (y * image.width + x) * 3;
  return [...image.data.subarray(p, p + 3)];
}

test('loads the reference PNG as 1024x768 RGB bytes', async () => {
  const image = await loadRgbImage(referencePath('image_exact.png'));
  assert.equal(image.width, 1024);
  assert.equal(image.height, 768);
  assert.equal(image.data.length, 1024 * 768 * 3);
  assert.deepEqual(await readImageSize(referencePath('image_exact.png')), { width: 1024, height: 768 });
});

test('applies EXIF orientation 6 (rotate 90 degrees clockwise) to the pixels and the size', async () => {
  // Stored 30x20: left half black, right half white; displayed it is 20x30 with black on top.
  const width = 30;
  const height = 20;
  const stored = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = width / 2; x < width; x++) stored.fill(255, (y * width + x) * 3, (y * width + x) * 3 + 3);
  }
  const file = path.join(tempDir, 'rotated.jpg');
  await sharp(stored, { raw: { width, height, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toFile(file);

  assert.deepEqual(await readImageSize(file), { width: 20, height: 30 });
  const image = await loadRgbImage(file);
  assert.deepEqual([image.width, image.height], [20, 30]);
  assert.ok(pixel(image, 10, 2).every((v) => v < 30), `top should be black, got ${pixel(image, 10, 2)}`);
  assert.ok(pixel(image, 10, 27).every((v) => v > 225), `bottom should be white, got ${pixel(image, 10, 27)}`);
});

test('expands an 8-bit grey PNG to three equal channels', async () => {
  const file = path.join(tempDir, 'grey.png');
  await sharp(new Uint8Array([0, 50, 100, 200]), { raw: { width: 2, height: 2, channels: 1 } }).toColourspace('b-w').png().toFile(file);
  assert.equal((await sharp(file).metadata()).channels, 1);
  const image = await loadRgbImage(file);
  assert.deepEqual([...image.data], [0, 0, 0, 50, 50, 50, 100, 100, 100, 200, 200, 200]);
});

test('drops the alpha channel of an RGBA PNG without compositing, like PIL convert("RGB")', async () => {
  const file = path.join(tempDir, 'rgba.png');
  const rgba = new Uint8Array([10, 20, 30, 0, 40, 50, 60, 128, 70, 80, 90, 255, 1, 2, 3, 4]);
  await sharp(rgba, { raw: { width: 2, height: 2, channels: 4 } }).png().toFile(file);
  const image = await loadRgbImage(file);
  assert.deepEqual([...image.data], [10, 20, 30, 40, 50, 60, 70, 80, 90, 1, 2, 3]);
});

test('reduces a 16-bit RGB PNG to the high byte of each sample, as PIL and OpenCV do', async () => {
  const file = path.join(tempDir, 'rgb16.png');
  const samples = new Uint16Array([0x00ff, 0x1234, 0xabff, 0xffff, 0x8000, 0x7fff]);
  await sharp(samples, { raw: { width: 2, height: 1, channels: 3 } }).toColourspace('rgb16').png().toFile(file);
  assert.equal((await sharp(file).metadata()).depth, 'ushort');
  const image = await loadRgbImage(file);
  assert.deepEqual([...image.data], [0x00, 0x12, 0xab, 0xff, 0x80, 0x7f]);
});

test('reduces a 16-bit grey PNG to its high byte in all three channels', async () => {
  const file = path.join(tempDir, 'grey16.png');
  await sharp(new Uint16Array([0x0102, 0xfedc]), { raw: { width: 2, height: 1, channels: 1 } }).toColourspace('grey16').png().toFile(file);
  const image = await loadRgbImage(file);
  assert.deepEqual([...image.data], [0x01, 0x01, 0x01, 0xfe, 0xfe, 0xfe]);
});

/** A minimal 8-bit RGB PNG with an iCCP chunk, so that the stored samples are known exactly. */
function pngWithIccProfile(width: number, height: number, rgb: Uint8Array, profile: Buffer): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(typeAndData));
    return Buffer.concat([length, typeAndData, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB, deflate, no filter, no interlace
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) rows.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (1 + width * 3) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('iCCP', Buffer.concat([Buffer.from('Display P3\0\0', 'latin1'), zlib.deflateSync(profile)])),
    chunk('IDAT', zlib.deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('returns the stored samples of an image with an embedded ICC profile, not colour-managed ones (as PIL does)', async () => {
  const withP3 = await sharp(new Uint8Array(3), { raw: { width: 1, height: 1, channels: 3 } }).withIccProfile('p3').png().toBuffer();
  const profile = (await sharp(withP3).metadata()).icc;
  assert.ok(profile);
  const stored = new Uint8Array([200, 30, 40, 10, 220, 90, 120, 120, 120, 250, 250, 5]);
  const file = path.join(tempDir, 'display-p3.png');
  fs.writeFileSync(file, pngWithIccProfile(2, 2, stored, profile));
  assert.equal((await sharp(file).metadata()).hasProfile, true);
  const image = await loadRgbImage(file);
  assert.deepEqual([...image.data], [...stored]);
});

test('refuses a file that is not an image, naming the file and the formats', async () => {
  const file = path.join(tempDir, 'notes.txt');
  fs.writeFileSync(file, 'stamp on page 3\n');
  const expected = failsWith('UNREADABLE_IMAGE', 'notes.txt is not an image MaskLoop can read (PNG, JPEG, TIFF, WebP, BMP)');
  await assert.rejects(loadRgbImage(file), expected);
  await assert.rejects(readImageSize(file), expected);
});

test('reports a missing file as FILE_NOT_FOUND', async () => {
  const file = path.join(tempDir, 'no-such-scan.png');
  await assert.rejects(loadRgbImage(file), failsWith('FILE_NOT_FOUND', 'no-such-scan.png'));
  await assert.rejects(readImageSize(file), failsWith('FILE_NOT_FOUND'));
});
